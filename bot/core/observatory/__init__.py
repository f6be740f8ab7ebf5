"""The observatory: what conversations and leads say of emerging needs, by period and territory.

Pure code: typed rows in (`rows`, as storage aggregates them), typed figures out (`figures`),
every count of people from 1 to 4 shown as « < 5 » so that no citizen can be singled out.
Its modules are imported one by one (the dialog's walk imports `unheard` alone).
"""
