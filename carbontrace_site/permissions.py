"""API permissions by organization membership and role.

Objects of another organization are not a permission matter: selectors scope every
read to the user's organization, so they answer 404.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from factories.selectors import membership_get_for_user


class IsMember(BasePermission):
    """Signed in and a member of an organization; the membership is put on the request."""

    message = "Your account is not a member of any organization yet."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        request.membership = membership_get_for_user(user=request.user)
        return request.membership is not None


class IsOfficerForWrites(BasePermission):
    message = "Only compliance officers can do this; viewers can read."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        membership = getattr(request, "membership", None)
        return membership is not None and membership.is_officer


class IsStaffForWrites(BasePermission):
    message = "Only staff can change sectors and energy sources."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return bool(request.user and request.user.is_staff)
