"""Money is integer cents everywhere; this is its one plain-text spelling (e-mails, CSV files,
the operators' messages). The pages show it in the reader's language (`web.formats.money`)."""


def dollars(cents: int, *, grouped: bool = True) -> str:
    """150050 -> `1,500.50`, -1000 -> `-10.00`; `grouped=False` -> `1500.50` (a CSV's)."""
    cents = int(cents)
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{part:02d}" if grouped else f"{sign}{whole}.{part:02d}"
