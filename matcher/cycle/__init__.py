"""The committee cycle's domain core (``docs/cycle.md``, contract ``CYCLE.md``).

Plain functions on plain data, no database, web or CLI:

- :mod:`.lifecycle`: project statuses, the transition table, batch checks;
- :mod:`.audit`: the hash-chained event log and its verification;
- :mod:`.build`: the round document built from the committee's lists and history,
  and the need a reopened project returns to the lists;
- :mod:`.figures`: the figures across rounds, recomputed from the event log alone;
- :mod:`.simulate`: a seeded year of the cycle (what happens, month by month), and
  :mod:`.drive`, which runs it through the API by an injected ``call`` (no web or store import).
"""
