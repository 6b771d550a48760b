"""Server-side table state: sort, filters, text search and page, read from the query string.

A page declares its table once (the sortable columns and the filters it accepts); the state
it reads from the URL is whitelisted, so a shared link reproduces the same view and nothing
from the query string reaches `order_by()` unchecked. Selectors apply the state to a
queryset; templates use it to draw sort links and pagination that keep the other parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet

PAGE_SIZES = (25, 50, 100)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    order_by: tuple[str, ...] = ()  # empty: not sortable
    numeric: bool = False


@dataclass(frozen=True)
class TableSpec:
    columns: tuple[Column, ...]
    default_sort: str  # a column key, "-" first for descending
    filters: Mapping[str, Iterable[str] | None] = field(default_factory=dict)  # None: free value
    search: bool = True
    tie_breaker: str = "pk"

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key and c.order_by), None)

    def state_from(self, params: Mapping[str, str]) -> TableState:
        sort = (params.get("sort") or "").strip()
        if not self.column(sort.lstrip("-")):
            sort = self.default_sort
        filters = {}
        for name, allowed in self.filters.items():
            value = (params.get(name) or "").strip()
            if value and (allowed is None or value in set(allowed)):
                filters[name] = value
        query = (params.get("q") or "").strip()[:100] if self.search else ""
        try:
            page_size = int(params.get("per_page") or PAGE_SIZES[0])
        except ValueError:
            page_size = PAGE_SIZES[0]
        if page_size not in PAGE_SIZES:
            page_size = PAGE_SIZES[0]
        return TableState(
            spec=self,
            sort=sort,
            filters=filters,
            query=query,
            page_number=params.get("page") or "1",
            page_size=page_size,
        )


@dataclass(frozen=True)
class TableState:
    spec: TableSpec
    sort: str
    filters: dict[str, str]
    query: str
    page_number: str
    page_size: int
    extra: dict[str, str] = field(default_factory=dict)  # e.g. the dashboard's active tab

    # --- applying it -------------------------------------------------------
    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    @property
    def sort_key(self) -> str:
        return self.sort.lstrip("-")

    def order_by(self) -> list[str]:
        column = self.spec.column(self.sort_key)
        assert column is not None
        sign = "-" if self.descending else ""
        fields = []
        for name in column.order_by:
            # An explicit "-" in the column flips with the direction too.
            if name.startswith("-"):
                fields.append(name[1:] if self.descending else name)
            else:
                fields.append(sign + name)
        return [*fields, self.spec.tie_breaker]

    def paginate(self, queryset: QuerySet) -> Page:
        paginator = Paginator(queryset, self.page_size)
        try:
            return paginator.page(self.page_number)
        except PageNotAnInteger:
            return paginator.page(1)
        except EmptyPage:
            return paginator.page(paginator.num_pages)

    # --- drawing it -------------------------------------------------------
    def params(self, **changes: str | int | None) -> dict[str, str]:
        values: dict[str, str] = {**self.extra, **self.filters}
        if self.query:
            values["q"] = self.query
        if self.sort != self.spec.default_sort:
            values["sort"] = self.sort
        if self.page_size != PAGE_SIZES[0]:
            values["per_page"] = str(self.page_size)
        for name, value in changes.items():
            if value in (None, ""):
                values.pop(name, None)
            else:
                values[name] = str(value)
        return values

    def url(self, **changes: str | int | None) -> str:
        return "?" + urlencode(self.params(**changes))

    def page_url(self, number: int) -> str:
        return self.url(page=None if number == 1 else number)

    def hidden_fields(self, *exclude: str) -> list[tuple[str, str]]:
        """Parameters a filter form must carry along (the ones it does not edit itself)."""
        skip = {"page", *exclude}
        return [(name, value) for name, value in self.params().items() if name not in skip]

    def headers(self) -> list[dict]:
        rows = []
        for column in self.spec.columns:
            header = {"label": column.label, "numeric": column.numeric, "url": None, "aria": None}
            if column.order_by:
                active = self.sort_key == column.key
                if active:
                    header["aria"] = "descending" if self.descending else "ascending"
                    next_sort = column.key if self.descending else f"-{column.key}"
                else:
                    default_desc = self.spec.default_sort == f"-{column.key}" or column.numeric
                    next_sort = f"-{column.key}" if default_desc else column.key
                header["url"] = self.url(sort=next_sort, page=None)
            rows.append(header)
        return rows
