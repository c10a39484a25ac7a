"""Following Amazon's page tokens without trusting them: a repeated token or endless pages stop.

Amazon has answered the same nextToken again (selling-partner-api-models issues), and a pager
that follows it blindly reads the same page for ever. Every pager of the connector keeps the
tokens it has followed and a page cap, and stops with a clear error naming the operation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.adapters.amazon.errors import AmazonPagingBroken

# 10,000 pages: 500,000 inventory summaries at 50 a page, far beyond any seller planner serves.
MAX_PAGES = 10_000
_HINT = "Amazon's paging is broken, not your data; trying again later usually works"


@dataclass
class PageTokens:
    """The tokens one listing has followed; `follow` says whether there is another page."""

    operation: str
    max_pages: int = MAX_PAGES
    pages: int = 0
    _seen: set[str] = field(default_factory=set)

    def follow(self, token: str | None) -> str | None:
        """The token of the next page (None: the listing is complete), after one more page.

        Raises AmazonPagingBroken when Amazon gives a token it gave before (the same pages
        would come again) or the listing runs past the page cap.
        """
        self.pages += 1
        if not token:
            return None
        if token in self._seen:
            raise AmazonPagingBroken(
                f"Amazon {self.operation} gave the same page token again after "
                f"{self.pages} page(s); stopped instead of reading the same pages for ever",
                hint=_HINT,
            )
        if self.pages >= self.max_pages:
            raise AmazonPagingBroken(
                f"Amazon {self.operation} still had more pages after {self.pages}; stopped at "
                "the page cap",
                hint=_HINT,
            )
        self._seen.add(token)
        return token
