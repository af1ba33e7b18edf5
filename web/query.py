"""Reading the query string the same way on every page."""

from flask import abort

PAGE_DIGITS = 9  # a page number beyond any list; a longer one is a typo or a probe


def page_number(args) -> int:
    """The `page` of the query string (1 when absent); anything but a page number is a clear 400."""
    raw = (args.get("page") or "1").strip()
    if not raw.isdigit() or int(raw) < 1 or len(raw) > PAGE_DIGITS:
        abort(400, description=f"Page “{raw[:20]}” is not a page number (1, 2, 3, ...).")
    return int(raw)
