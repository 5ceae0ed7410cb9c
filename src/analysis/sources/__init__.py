"""One module per raw source. Each exposes ``SOURCE`` (its folder in data/raw) and ``load(raw_dir)`` -> tidy frame."""
