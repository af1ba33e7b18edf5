"""Reading old event versions: task.created v1 carried the Jira id inside its title."""

import re

JIRA_IN_TITLE = re.compile(r"\s*\[\s*([A-Z][A-Z0-9]*-[0-9]+)\s*\]\s*")


def split_jira_id(title: str) -> tuple[str, str | None]:
    """`[UBERPOP-42] Feed the parrots` -> (`Feed the parrots`, `UBERPOP-42`) for task.created v1;
    a title that would be left empty keeps its brackets."""
    match = JIRA_IN_TITLE.search(title)
    if not match:
        return title.strip(), None
    rest = (title[: match.start()] + " " + title[match.end() :]).strip()
    return (rest or title.strip()), match.group(1)
