"""Elasticsearch: index mappings and templates (`mappings`), idempotent setup of templates,
versioned indices and aliases (`setup`), cluster and index status (`status`), and the client
factory shared by the CLI and the indexer (`client`)."""
