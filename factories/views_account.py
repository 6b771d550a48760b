"""The user's API token page: see whether a token exists, create (rotate) or revoke it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from .selectors import membership_get_for_user
from .services import token_revoke, token_rotate


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_token(request):
    new_key = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            # Shown on this response only: the page never displays a stored key again.
            new_key = token_rotate(user=request.user).key
        elif action == "revoke":
            if token_revoke(user=request.user):
                messages.success(request, "Your API token was revoked.")
            return redirect("account-token")
        else:
            messages.error(request, "Unknown action.")
            return redirect("account-token")
    token = Token.objects.filter(user=request.user).only("created").first()
    return render(
        request,
        "account/token.html",
        {
            "token": token,
            "new_key": new_key,
            "membership": membership_get_for_user(user=request.user),
        },
    )
