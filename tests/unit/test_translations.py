"""The Russian interface: every string of the pages translated, and the compiled catalog current."""

from babel.messages.mofile import read_mo

from web.translations.build import TARGET, russian


def _pairs(catalog) -> set:
    def text(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    return {(text(m.id), text(m.string)) for m in catalog if m.id}


def test_every_interface_string_has_a_russian_translation_in_the_compiled_catalog():
    catalog, untranslated = russian()
    assert untranslated == [], "translate them in messages.po, then `make translations`"
    with open(TARGET / "messages.mo", "rb") as compiled:
        assert _pairs(catalog) == _pairs(read_mo(compiled)), "run `make translations`"
