"""Amazon's failures as planner errors: one line a person can act on, never a secret in it."""

from __future__ import annotations

from planner.ports import FailureKind, MarketplaceError


class AmazonCredentialsRejected(MarketplaceError):
    """Login with Amazon refused the app's client id/secret or the seller's refresh token."""

    kind = FailureKind.REFUSED
    whole_connection = True


class AmazonAccessDenied(MarketplaceError):
    """SP-API answered 403 for a reason other than an expired access token."""

    kind = FailureKind.REFUSED


class AmazonRequestRejected(MarketplaceError):
    """SP-API answered 400/409/422: Amazon read the request and said no; `codes` say why."""

    kind = FailureKind.REJECTED


class AmazonNotFound(AmazonRequestRejected):
    """SP-API answered 404: Amazon does not know the plan, shipment or operation asked for."""

    kind = FailureKind.NOT_FOUND


class AmazonUnavailable(MarketplaceError):
    """Server errors or timeouts outlasted the retries: the request may have been done or not."""

    kind = FailureKind.TRANSIENT


class AmazonThrottled(AmazonUnavailable):
    """Amazon kept answering 429 beyond the retries: it did nothing; later it will."""

    kind = FailureKind.THROTTLED


class AmazonReportFailed(MarketplaceError):
    """A report ended FATAL, never finished, or its document could not be read."""

    kind = FailureKind.FAILED


class AmazonBadResponse(MarketplaceError):
    """A response or report document is not shaped as the model or report spec says."""

    kind = FailureKind.BAD_RESPONSE


class AmazonPagingBroken(MarketplaceError):
    """A paged listing repeated a page token or ran past the page cap: Amazon's pages loop."""

    kind = FailureKind.BAD_RESPONSE


def describe_error(errors: object) -> str:
    """Amazon's error list ({code, message, details}) as one short line."""
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        parts = [str(first.get(k)) for k in ("code", "message", "details") if first.get(k)]
        text = ": ".join(parts[:2]) + (f" ({parts[2]})" if len(parts) > 2 else "")
        return text[:300]
    return str(errors)[:300]


def error_codes(errors: object) -> tuple[str, ...]:
    """The `code` of each entry of Amazon's error list, in its order (unknown shapes: none)."""
    if not isinstance(errors, list):
        return ()
    return tuple(str(e["code"]) for e in errors if isinstance(e, dict) and e.get("code"))
