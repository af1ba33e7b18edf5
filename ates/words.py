"""What a domain says to the parrot who asked: the English sentence, which logs and commands
print as it is, keeping its template and values so that a page can say it in the reader's
language (`web.formats.say`). `make translations` extracts every `Words("...")` of the domains
into the Russian catalog, like the pages' own strings."""


class Words(str):
    """`Words("The login “%(login)s” is taken.", login="kesha")` is that sentence, filled in."""

    def __new__(cls, template: str, **values) -> "Words":
        words = super().__new__(cls, template % values if values else template)
        words.template, words.values = template, values
        return words
