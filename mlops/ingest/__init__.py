"""``mlops ingest``: read Food.com CSVs, schema.org Recipe JSON(-LD) or the bundled catalog and
write the normalised catalog (``services.recommender.catalog.CATALOG_SCHEMA``), the interactions
and a data-quality report."""
