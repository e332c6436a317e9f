"""One module per operation family, and the table the engine dispatches through.

Each family module (``_assign``, ``_modify``, ``_lifecycle``, ``_trials``, ``_sets``,
``_suspension``, ``_deletion``) declares its operations' kinds, its own rules and the
events it writes (:class:`~._family.Family`); :mod:`._table` gathers them by kind.
Pure, as the core: no clock, no I/O. The operation records themselves live in
:mod:`cytolicense.core._operations`, the events in :mod:`cytolicense.core._events`.
"""
