"""One module per raw source. Each exposes ``SOURCE`` (its folder in data/raw) and ``load(raw_dir)`` -> tidy frame."""

# source folder -> module in analysis.sources (a module may define ``panels(tidy) -> {name: frame}``). Kept here,
# apart from ``analysis.build``, so the data build's cache key is computed without importing pandas.
SOURCE_MODULES: dict[str, str] = {
    "oecd_msti": "analysis.sources.msti",
    "pwt": "analysis.sources.pwt",
    "worldbank_wdi": "analysis.sources.wdi",
    "ncses_sei": "analysis.sources.ncses_sei",
    "cincera1997": "analysis.sources.cincera",
    "ehs2013_rdspillovers": "analysis.sources.ehs",
    "japan": "analysis.sources.japan",
    "ncses_autm": "analysis.sources.ncses_autm",
    "ipeds_f2_top5_private": "analysis.sources.ipeds",
    "t46_extracts_phd_shidairen": "analysis.sources.t46_extracts",
    "nistep_text_phd_bizres_2": "analysis.sources.nistep_text",
}
