"""Message tables, one per language: finding code -> template.

A finding whose params carry a ``reason`` is looked up as ``"code#reason"``.
Templates use the finding's params by name; tuples are joined with ", " and the
values of the params in :data:`LOCALIZED_PARAMS` are translated through the
language's ``VALUES`` table.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["LANGUAGES", "MESSAGES", "VALUES", "render"]

EN: dict[str, str] = {
    "product.unknown": "Product '{product}' is not in the catalog.",
    "license_type.not_offered": (
        "Product '{product}' is not offered with a {license_type} licence (offered: {offered})."
    ),
    "quantity.invalid#below_minimum": "Quantity {quantity} is not valid: assign at least 1 seat.",
    "quantity.invalid#above_maximum": (
        "Quantity {quantity} is above the maximum of {maximum} seats for '{product}'."
    ),
    "period.required": "A commercial licence of '{product}' needs a period (sold: {allowed}).",
    "period.invalid": "Period {period} is not sold for '{product}' (sold: {allowed}).",
    "period.not_enabled": (
        "Period {period} is not enabled by the vendor for your use of '{product}' "
        "(enabled: {enabled}); the assignment goes ahead."
    ),
    "period.not_applicable": (
        "A trial lasts a fixed {trial_days} days: a period ({period}) cannot be chosen."
    ),
    "trial.quantity_exceeded": (
        "A trial of '{product}' allows at most {maximum} seats; {quantity} requested."
    ),
    "trial.already_used#active": (
        "A trial of '{product}' is already active (maintenance {maintenance}, until {expires_on})."
    ),
    "trial.already_used#cooldown": (
        "A trial of '{product}' ended on {ended_on}; a new trial is possible from {available_on}."
    ),
    "family.already_assigned": (
        "The client already has an active commercial product of family '{family}': "
        "'{existing_product}' (maintenance {maintenance})."
    ),
    "module.unknown": "Module '{module}' is not in the catalog.",
    "module.incompatible": (
        "Module '{module}' cannot be added to '{product}' (compatible: {compatible})."
    ),
    "module.quantity_fixed": (
        "Module '{module}' always has the product's {product_quantity} seats; "
        "{quantity} cannot be chosen."
    ),
    "module.quantity_required": (
        "Module '{module}' needs its own quantity, from 1 to the product's {product_quantity}."
    ),
    "module.quantity_invalid": (
        "Module '{module}' seats must be from 1 to the product's {product_quantity}; "
        "{quantity} given."
    ),
    "management.unsupported": (
        "Product '{product}' does not support {management} management (supported: {supported})."
    ),
    "client.not_visible": (
        "Client '{client}' is no longer shown in the console: its services ended on "
        "{ended_on}, 90 days or more ago."
    ),
    "client.already_deleted": "Client '{client}' was already deleted on {deleted_on}.",
    "maintenance.unknown": "Client '{client}' has no maintenance '{maintenance}'.",
    "maintenance.not_active": "Maintenance '{maintenance}' is {status}, not active.",
}

ES: dict[str, str] = {
    "product.unknown": "El producto '{product}' no está en el catálogo.",
    "license_type.not_offered": (
        "El producto '{product}' no se ofrece con licencias {license_type} "
        "(se ofrece con: {offered})."
    ),
    "quantity.invalid#below_minimum": (
        "La cantidad {quantity} no es válida: asigna al menos 1 licencia."
    ),
    "quantity.invalid#above_maximum": (
        "La cantidad {quantity} supera el máximo de {maximum} licencias de '{product}'."
    ),
    "period.required": (
        "Una licencia comercial de '{product}' necesita un periodo (a la venta: {allowed})."
    ),
    "period.invalid": (
        "El periodo {period} no está a la venta para '{product}' (a la venta: {allowed})."
    ),
    "period.not_enabled": (
        "El periodo {period} no está habilitado por el fabricante para su uso con '{product}' "
        "(habilitados: {enabled}); la asignación se realiza igualmente."
    ),
    "period.not_applicable": (
        "Una licencia de prueba dura {trial_days} días fijos: no se puede elegir un periodo "
        "({period})."
    ),
    "trial.quantity_exceeded": (
        "Una prueba de '{product}' admite como máximo {maximum} licencias; "
        "se han pedido {quantity}."
    ),
    "trial.already_used#active": (
        "Ya hay una prueba activa de '{product}' (mantenimiento {maintenance}, "
        "hasta el {expires_on})."
    ),
    "trial.already_used#cooldown": (
        "Una prueba de '{product}' terminó el {ended_on}; se podrá asignar otra a partir del "
        "{available_on}."
    ),
    "family.already_assigned": (
        "El cliente ya tiene un producto comercial activo de la familia '{family}': "
        "'{existing_product}' (mantenimiento {maintenance})."
    ),
    "module.unknown": "El módulo '{module}' no está en el catálogo.",
    "module.incompatible": (
        "El módulo '{module}' no se puede añadir a '{product}' (compatibles: {compatible})."
    ),
    "module.quantity_fixed": (
        "El módulo '{module}' tiene siempre las {product_quantity} licencias del producto; "
        "no se pueden indicar {quantity}."
    ),
    "module.quantity_required": (
        "El módulo '{module}' necesita su propia cantidad, de 1 a las {product_quantity} "
        "del producto."
    ),
    "module.quantity_invalid": (
        "Las licencias del módulo '{module}' deben ir de 1 a las {product_quantity} del "
        "producto; se han indicado {quantity}."
    ),
    "management.unsupported": (
        "El producto '{product}' no admite la gestión {management} (admite: {supported})."
    ),
    "client.not_visible": (
        "El cliente '{client}' ya no se muestra en la consola: sus servicios terminaron el "
        "{ended_on}, hace 90 días o más."
    ),
    "client.already_deleted": "El cliente '{client}' ya se eliminó el {deleted_on}.",
    "maintenance.unknown": "El cliente '{client}' no tiene el mantenimiento '{maintenance}'.",
    "maintenance.not_active": "El mantenimiento '{maintenance}' está {status}, no activo.",
}

MESSAGES: Mapping[str, Mapping[str, str]] = {"en": EN, "es": ES}
LANGUAGES: tuple[str, ...] = tuple(MESSAGES)

LOCALIZED_PARAMS = frozenset({"license_type", "offered", "management", "supported", "status"})

VALUES: Mapping[str, Mapping[str, str]] = {
    "en": {"centralized": "centralized", "unmanaged": "unmanaged (not centralized)"},
    "es": {
        "trial": "de prueba",
        "commercial": "comerciales",
        "centralized": "centralizada",
        "unmanaged": "sin gestión centralizada",
        "active": "activo",
        "expired": "caducado",
        "deleted": "eliminado",
    },
}


def key_of(code: str, params: Mapping[str, object]) -> str:
    """The table key of a finding: ``code`` or ``code#reason``."""
    reason = params.get("reason")
    return f"{code}#{reason}" if isinstance(reason, str) else code


def _text(name: str, value: object, values: Mapping[str, str]) -> str:
    if type(value) is str:
        return values.get(value, value) if name in LOCALIZED_PARAMS else value
    if isinstance(value, tuple | list):
        return ", ".join(_text(name, v, values) for v in value) or "-"
    if value is None:
        return "-"
    text = str(value)
    if name in LOCALIZED_PARAMS:
        return values.get(text, text)
    return text


def render(template: str, params: Mapping[str, object], language: str) -> str:
    """Fill *template* with *params* for *language*."""
    values = VALUES.get(language, {})
    return template.format_map({k: _text(k, v, values) for k, v in params.items()})
