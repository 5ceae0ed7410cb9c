"""``analysis update``: fetch a publisher's newest release and add it as a new vintage of a raw source.

``http`` downloads (with named errors for no network, timeout, HTTP errors, error pages and truncated bodies),
``fetchers`` knows each publisher (OECD SDMX REST for MSTI, the World Bank API for WDI, a user's file for the
Japanese series; endpoints in ``publishers.toml``), ``writer`` stages, validates with the source's own loader and
then adds ``data/raw/<source>/<vintage>/`` with its SOURCE.md and ORIGIN.json and refreshes the manifest. Nothing
already written is changed when any step fails.
"""
