"""The search and recommendation indexes as the web app holds them.

``records`` reads the partners as engine records, ``version`` fingerprints the data,
``holder`` builds the indexes once per data version and shares them between requests
(``current_index``, ``data_changed``, ``reindex``), ``store`` saves them for the other workers.
Import from the submodules: this package re-exports nothing, so loading one never loads the rest.
"""
