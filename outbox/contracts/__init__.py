"""The event contracts' tooling: the catalog, its AsyncAPI document and the schema lock."""
