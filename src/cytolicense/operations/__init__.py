"""One module per operation family, and the table the engine dispatches through.

Each family module (``_assign``, ``_modify``, ``_lifecycle``, ``_trials``, ``_sets``,
``_suspension``, ``_deletion``, ``_groups``, ``_renewal_day``) declares its operations'
kinds, its own rules, the events it writes and the words a person reads of them (a
refusal, a dry run, a line of the history: :class:`~._family.Family`); :mod:`._table`
gathers them by kind and by event record, and the views look the words up there.
Pure, as the core: no clock, no I/O. The operation records themselves live in
:mod:`cytolicense.core._operations`, the events in :mod:`cytolicense.core._events`.
"""
