"""Calls that must fail type checking (checked by tests/test_typing.py, not by `mypy`'s
file list): record constructors have honest types."""

import cytolicense as cl

cl.AssignmentRequest(product=5, license_type="commercial", quantity=1)  # E: product
cl.AssignmentRequest(product="p", license_type="commercial", quantity="x")  # E: quantity
cl.Renew(maintenance="m1", period=2)  # E: period
cl.Product(id="p", name="P", family="f", trial_days="30")  # E: trial_days
