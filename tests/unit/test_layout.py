"""The one list of domains is the list everything else is held to."""

import configparser

from ates.bootstrap import DOMAINS_DIR, SCHEMAS
from ates.settings import ROOT
from domains import DOMAINS


def test_every_package_under_domains_is_a_listed_domain():
    packages = {path.parent.name for path in DOMAINS_DIR.glob("*/__init__.py")}
    assert packages == set(DOMAINS)


def test_the_import_contract_keeps_exactly_the_listed_domains_independent():
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    contract = setup["importlinter:contract:independent-domains"]
    assert contract["type"] == "independence"
    assert contract["modules"].split() == [f"domains.{name}" for name in DOMAINS]


def test_every_domain_has_its_own_schema_beside_the_outbox():
    assert (*DOMAINS, "outbox") == SCHEMAS
