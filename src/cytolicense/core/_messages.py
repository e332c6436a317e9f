"""Rendering message templates: params by name, tuples joined, values translated.

The templates themselves are declared with each code (:class:`CodeSpec`), by the
rule that finds it. Tuples are joined with ", " and the values of the params in
:data:`LOCALIZED_PARAMS` are translated through the language's ``VALUES`` table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._period import Period

__all__ = ["ERRORS", "LANGUAGES", "UI", "VALUES", "period_words", "render", "tr", "unit"]

LANGUAGES: tuple[str, ...] = ("en", "es")
"""The languages every library message is written in."""


LOCALIZED_PARAMS = frozenset(
    {"license_type", "offered", "management", "supported", "status", "kind", "doing"}
)

VALUES: Mapping[str, Mapping[str, str]] = {
    "en": {"centralized": "centralized", "unmanaged": "unmanaged (not centralized)"},
    "es": {
        "trial": "de prueba",
        "commercial": "comerciales",
        "centralized": "centralizada",
        "unmanaged": "sin gestión centralizada",
        "active": "activo",
        "grace": "en periodo de gracia",
        "expired": "caducado",
        "deleted": "eliminado",
        "replaced": "sustituido",
        # kinds of record (an error's "kind")
        "product": "producto",
        "module": "módulo",
        "family": "familia",
        "client": "cliente",
        "maintenance": "mantenimiento",
        # what a store was doing when it failed (an error's "doing")
        "opening the database": "abría la base de datos",
        "starting a transaction": "empezaba una transacción",
        "writing": "escribía",
        "committing": "confirmaba la transacción",
        "saving a client": "guardaba un cliente",
        "importing clients": "importaba clientes",
        "crediting the pool": "abonaba licencias al stock",
        "reading a client": "leía un cliente",
        "reading clients": "leía clientes",
        "reading a client's history": "leía el historial de un cliente",
        "counting clients": "contaba los clientes",
        "listing clients": "listaba los clientes",
        "listing the monitoring clients": "listaba los clientes de la monitorización",
        "looking up a client": "buscaba un cliente",
        "reading the pool": "leía el stock",
        "reading the pool's history": "leía el historial del stock",
        "listing what expires": "listaba lo que caduca",
        "writing in a batch": "escribía en un lote",
        "writing the batch's saves": "escribía lo guardado en el lote",
        "locking the pool": "bloqueaba el stock",
    },
}


def _text(name: str, value: object, values: Mapping[str, str]) -> str:
    if type(value) is str:
        return values.get(value, value) if name in LOCALIZED_PARAMS else value
    if isinstance(value, tuple | list):
        return ", ".join(_text(name, v, values) for v in value) or "-"
    if value is None:
        return "-"
    try:
        text = str(value)
    except ValueError:  # an int beyond Python's digit limit for str()
        text = f"a {value.bit_length()}-bit number" if isinstance(value, int) else "?"
    if name in LOCALIZED_PARAMS:
        return values.get(text, text)
    return text


def render(template: str, params: Mapping[str, object], language: str) -> str:
    """Fill *template* with *params* for *language*."""
    values = VALUES.get(language, {})
    return template.format_map({k: _text(k, v, values) for k, v in params.items()})


ERRORS: Mapping[str, Mapping[str, str]] = {
    "es": {
        # records and catalogs
        "unknown {kind} id '{id}'": "id de {kind} desconocido: '{id}'",
        "idempotency key '{key}' was first used for another operation (client '{first}'): a "
        "key names one operation; use a new key for a new one": "la clave de idempotencia "
        "'{key}' se usó primero para otra operación (cliente '{first}'): una clave nombra "
        "una operación; use una clave nueva para otra",
        "'{item}' is not sold for {period} (sold: {allowed})": "'{item}' no se vende por "
        "{period} (a la venta: {allowed})",
        "the pool would hold {balance} seats of '{item}' for {period}: a correction may not "
        "take it below zero (allow it explicitly)": "el pool tendría {balance} licencias de "
        "'{item}' por {period}: una corrección no puede dejarlo por debajo de cero (permítalo "
        "expresamente)",
        "the pool has too few seats of '{item}' for {period} for client '{client_id}': "
        "another writer took them first ({seats} after this change); nothing was written, "
        "load again and retry": "el pool no tiene licencias suficientes de '{item}' por "
        "{period} para el cliente '{client_id}': otro proceso las tomó antes ({seats} tras "
        "este cambio); no se ha escrito nada, vuelva a cargar y reintente",
        "{path}: the role '{role}' does not act for partner '{partner}' (it acts for "
        "{bound}): each partner's role is named in cytolicense_tenants": "{path}: el rol "
        "'{role}' no actúa para el partner '{partner}' (actúa para {bound}): el rol de cada "
        "partner figura en cytolicense_tenants",
        "{kind} id '{id}' declared twice": "id de {kind} '{id}' declarado dos veces",
        "{kind} id '{id}' declared twice by {who}": "id de {kind} '{id}' declarado dos veces "
        "por {who}",
        "{kind} id '{id}' declared twice: by {first} and by {second}": "id de {kind} '{id}' "
        "declarado dos veces: por {first} y por {second}",
        "names unknown family '{family}' (known: {known})": "nombra la familia desconocida "
        "'{family}' (existen: {known})",
        "may change to {products}, which is not a product of its family '{family}'": "puede "
        "cambiar a {products}, que no es un producto de su familia '{family}'",
        "names unknown module(s) {modules} (known: {known})": "nombra módulo(s) "
        "desconocido(s) {modules} (existen: {known})",
        # stores
        "partner '{partner}' has no client '{client_id}'": "el partner '{partner}' no tiene "
        "ningún cliente '{client_id}'",
        "client '{client_id}' changed underneath: expected version {expected}, found "
        "{actual}; reload it and try again": "el cliente '{client_id}' ha cambiado entretanto: "
        "se esperaba la versión {expected} y hay la {actual}; vuelva a cargarlo e inténtelo "
        "de nuevo",
        "client '{client_id}' already exists": "el cliente '{client_id}' ya existe",
        "{path}: cannot open the database: {cause}": "{path}: no se puede abrir la base de "
        "datos: {cause}",
        "{path}: schema version {found} is not supported (this release reads {first} to "
        "{last})": "{path}: la versión de esquema {found} no está soportada (esta versión lee "
        "de la {first} a la {last})",
        "{path}: not a cytolicense database (application id {app_id}, tables: {tables}); "
        "nothing was changed": "{path}: no es una base de datos de cytolicense (id de "
        "aplicación {app_id}, tablas: {tables}); no se ha cambiado nada",
        "{path}: not a cytolicense database ({cause}) while {doing}": "{path}: no es una base "
        "de datos de cytolicense ({cause}) mientras {doing}",
        "{path}: the database is locked by another writer ({cause}) while {doing}": "{path}: "
        "otro proceso tiene bloqueada la base de datos ({cause}) mientras {doing}",
        "{path}: {cause} while {doing}": "{path}: {cause} mientras {doing}",
        "{path}: a client the batch held was changed by another writer; nothing of the "
        "batch is kept": "{path}: otro proceso cambió un cliente que el lote tenía "
        "reservado; no se guarda nada del lote",
        "{path}: the batch failed earlier ({cause}); leave the `with store.batch()` block "
        "and start again": "{path}: el lote ya falló antes ({cause}); salga del bloque "
        "`with store.batch()` y empiece de nuevo",
        "{path}: client '{client_id}' of partner '{partner}' has a corrupt row: {cause}": (
            "{path}: el cliente '{client_id}' del partner '{partner}' tiene una fila dañada: "
            "{cause}"
        ),
        "{path}: client '{client_id}' has a corrupt version {version}": "{path}: el cliente "
        "'{client_id}' tiene una versión dañada {version}",
        "{path}: event {seq} of client '{client_id}' is corrupt: {cause}": "{path}: el evento "
        "{seq} del cliente '{client_id}' está dañado: {cause}",
        "{path}: the pool of '{partner}' is corrupt: {cause}": "{path}: el stock de "
        "'{partner}' está dañado: {cause}",
        "{path}: pool event {seq} is corrupt: {cause}": "{path}: el evento de stock {seq} "
        "está dañado: {cause}",
        "PostgresStore needs psycopg: pip install 'cytolicense[postgres]'": "PostgresStore "
        "necesita psycopg: pip install 'cytolicense[postgres]'",
        "{path}: cannot connect: {cause}": "{path}: no se puede conectar: {cause}",
        "{path}: {cause}": "{path}: {cause}",
        "no database at {path} (check --db or ${env}, or the folder you run from; nothing "
        "was created)": "no hay ninguna base de datos en {path} (revise --db o ${env}, o la "
        "carpeta desde la que lo ejecuta; no se ha creado nada)",
    }
}
"""Error message templates (English, as the errors carry them) -> translation."""


UI: dict[str, dict[str, str]] = {
    "es": {
        # the detail
        "{name} [{id}] on {day}: {state}": "{name} [{id}] el {day}: {state}",
        "visible": "visible",
        "no longer shown (90 days without service)": "ya no se muestra (90 días sin servicio)",
        "deleted on {day}": "eliminado el {day}",
        "no maintenance to show": "ningún mantenimiento que mostrar",
        "id": "id",
        "product": "producto",
        "type": "tipo",
        "seats": "licencias",
        "period": "periodo",
        "start": "inicio",
        "expiry": "caducidad",
        "status": "estado",
        "management": "gestión",
        "actions": "acciones",
        # the monitoring list
        "name": "nombre",
        "state": "estado",
        "last day of service": "último día de servicio",
        "console": "consola",
        "no client to show on {day}": "ningún cliente que mostrar el {day}",
        "deleted {day}": "eliminado el {day}",
        "no active service": "sin servicio activo",
        "no product yet": "sin producto todavía",
        "shown": "se muestra",
        "hidden: {why}, 90+ days ago": "oculto: {why}, hace 90 días o más",
        "never had a service since {day}": "sin ningún servicio desde el {day}",
        "no service since {day}": "sin servicio desde el {day}",
        # values
        "trial": "prueba",
        "commercial": "comercial",
        "centralized": "centralizada",
        "unmanaged": "sin gestión",
        "active": "activo",
        "grace": "en gracia",
        "expired": "caducado",
        "deleted": "eliminado",
        "replaced": "sustituido",
        "modify": "modificar",
        "delete": "eliminar",
        "manage": "gestionar",
        "unmanage": "dejar de gestionar",
        "renew": "renovar",
        "convert": "convertir",
        "extend": "ampliar",
        "year": "año",
        "years": "años",
        "month": "mes",
        "months": "meses",
        "day": "día",
        "days": "días",
        # the command line's confirmations
        "{verb}: {what}": "{verb}: {what}",
        "maintenance {id}": "mantenimiento {id}",
        "client {id}": "cliente {id}",
        "{what}: nothing to change": "{what}: nada que cambiar",
        "assigned": "asignado",
        "modified": "modificado",
        "centralized management started": "gestión centralizada iniciada",
        "centralized management stopped": "gestión centralizada detenida",
        "deleted (shown for 90 more days)": "eliminado (se muestra 90 días más)",
        "renewed": "renovado",
        "changed": "cambiado",
        "converted": "convertido",
        "extended": "ampliado",
        "seats added": "licencias añadidas",
        "grouped": "agrupado",
        "added client {id} ({name}) on {day}": "cliente {id} ({name}) añadido el {day}",
        "no seats in force on {day}": "ninguna licencia vigente el {day}",
        "ok: the assignment ({what}) would go through": "ok: la asignación ({what}) se haría",
        "for {period}": "durante {period}",
        # expiring and forecast
        "expires": "caduca",
        "client": "cliente",
        "maintenance": "mantenimiento",
        "total": "total",
        "nothing expires in the window": "nada caduca en el periodo",
        # refusals and dry runs, in the action's words
        "cannot assign the product": "no se puede asignar el producto",
        "cannot modify the licences": "no se pueden modificar las licencias",
        "cannot change the management": "no se puede cambiar la gestión",
        "cannot delete the service": "no se puede eliminar el servicio",
        "cannot delete the client": "no se puede eliminar el cliente",
        "cannot renew the maintenance": "no se puede renovar el mantenimiento",
        "cannot change the product": "no se puede cambiar el producto",
        "cannot convert the trial": "no se puede convertir la prueba",
        "cannot extend the trial": "no se puede ampliar la prueba",
        "cannot group the licence sets": "no se pueden agrupar las licencias",
        "cannot add the seats": "no se pueden añadir las licencias",
        "the product can be assigned": "se podría asignar el producto",
        "the licences can be modified": "se podrían modificar las licencias",
        "the management can be changed": "se podría cambiar la gestión",
        "the service can be deleted": "se podría eliminar el servicio",
        "the client can be deleted": "se podría eliminar el cliente",
        "the maintenance can be renewed": "se podría renovar el mantenimiento",
        "the product can be changed": "se podría cambiar el producto",
        "the trial can be converted": "se podría convertir la prueba",
        "the trial can be extended": "se podría ampliar la prueba",
        "the licence sets can be grouped": "se podrían agrupar las licencias",
        "the seats can be added": "se podrían añadir las licencias",
        "ok: {what} (nothing changed)": "ok: {what} (nada ha cambiado)",
        "(declared by {who})": "(declarado por {who})",
        "(found by {who})": "(encontrado por {who})",
        "module": "módulo",
        "family": "familia",
        "it was deleted and is still shown: assign it a product to restore it": "se eliminó "
        "y aún se muestra: asígnele un producto para recuperarlo",
        "assign it products, or choose another id": "asígnele productos, o elija otro id",
        "it left the console on {day} and can no longer be reused; add the client under "
        "another id (the old history stays)": "salió de la consola el {day} y ya no se puede "
        "reutilizar; añada el cliente con otro id (el historial anterior se conserva)",
        "empty pool (nothing tracked)": "stock vacío (nada registrado)",
        "item": "artículo",
        "ok: no device above the seats in force": "ok: ningún dispositivo por encima de las "
        "licencias vigentes",
        "over-assigned: {item} for {period} by {seats} seats": "sobreasignado: {item} para "
        "{period} en {seats} licencias",
        "error: {message}": "error: {message}",
        "the partner is empty: give --partner NAME (or set {env}); an empty partner never "
        "falls back to another": "el partner está vacío: indique --partner NOMBRE (o defina "
        "{env}); un partner vacío nunca se sustituye por otro",
        "--drop-module {module}: the maintenance has no module '{module}'": "--drop-module "
        "{module}: el mantenimiento no tiene el módulo '{module}'",
        "expected `pool`, `pool history` or `pool credit ITEM PERIOD SEATS`": "se esperaba "
        "`pool`, `pool history` o `pool credit ITEM PERIOD SEATS`",
        "the pool has no history": "el pool no tiene historial",
        "client added": "cliente añadido",
        "warning": "aviso",
        "may be assigned": "se puede asignar",
        # the web console (templates and pages)
        "A trial lasts {days} days.": "Una prueba dura {days} días.",
        "Add": "Añadir",
        "Add a client": "Añadir un cliente",
        "Add client": "Añadir cliente",
        "Add product": "Añadir producto",
        "Additional modules": "Módulos adicionales",
        "Back": "Volver",
        "Back to the monitoring list": "Volver a la lista de monitorización",
        "Choose": "Elegir",
        "Choose how the new licences are managed:": "Elija el tipo de gestión de las nuevas "
        "licencias:",
        "Client id": "Id del cliente",
        "Confirm": "Confirmar",
        "Expiring": "Próximas caducidades",
        "Give the new client an id (up to 200 characters) and a name.": "Indique un id (hasta "
        "200 caracteres) y un nombre para el nuevo cliente.",
        "History": "Historial",
        "Licence type": "Tipo de licencia",
        "Management": "Gestión",
        "Monitoring": "Monitorización",
        "Name": "Nombre",
        "Next page": "Página siguiente",
        "Period": "Periodo",
        "Pool": "Pool",
        "Product": "Producto",
        "Quantity": "Cantidad",
        "Renewal forecast": "Previsión de renovaciones",
        "Search": "Buscar",
        "Search by name": "Buscar por nombre",
        "Show the clients no longer shown": "Mostrar los clientes que ya no se muestran",
        "Show the clients the console shows": "Mostrar los clientes visibles",
        "Some fields of the form are not valid: go back and check them.": "Algunos campos del "
        "formulario no son válidos: vuelva atrás y revíselos.",
        "That action cannot be read: go back to the client and try again.": "No se puede leer "
        "esa acción: vuelva al cliente e inténtelo de nuevo.",
        "The form has expired or was not sent by this console: reload the page and try "
        "again.": "El formulario ha caducado o no lo envió esta consola: recargue la página e "
        "inténtelo de nuevo.",
        "This period is not enabled by the vendor: the assignment will go through with a "
        "warning.": "El fabricante no ha habilitado este periodo: la asignación se realizará "
        "con un aviso.",
        "by": "por",
        "days left": "días restantes",
        "no client to show": "ningún cliente que mostrar",
        "no longer shown: no service since {day} (90 days or more)": "ya no se muestra: sin "
        "servicio desde el {day} (90 días o más)",
        "not enabled by the vendor: warns": "no habilitado por el fabricante: avisa",
        "nothing expires in the next {days} days": "nada caduca en los próximos {days} días",
        "products": "productos",
        "reason": "motivo",
        "what happened": "qué pasó",
        "{n} months": "{n} meses",
        "serving on {host} (not a loopback address) needs a token: give --token or set "
        "{env}": "servir en {host} (no es una dirección local) necesita un token: indique "
        "--token o defina {env}",
        "the console is at http://{host}:{port}/": "la consola está en http://{host}:{port}/",
        "the partner is empty: give --partner NAME": "el partner está vacío: indique "
        "--partner NOMBRE",
        "the web console needs its extra: pip install 'cytolicense[web]'": "la consola web "
        "necesita su extra: pip install 'cytolicense[web]'",
        "serve the web console and its JSON API (needs cytolicense[web])": "sirve la consola "
        "web y su API JSON (necesita cytolicense[web])",
        "the address to listen on": "la dirección en la que escuchar",
        "the port": "el puerto",
        "a token every request must carry (default: $CYTOLICENSE_TOKEN); required off "
        "loopback": "un token que toda petición debe llevar (por omisión: "
        "$CYTOLICENSE_TOKEN); obligatorio fuera de la dirección local",
        "`demo` has no --dry-run: it only ever writes its own demo file": "`demo` no tiene "
        "--dry-run: solo escribe su propio fichero de demostración",
        "an idempotency key: the same command run again with it applies nothing twice": "una "
        "clave de idempotencia: la misma orden ejecutada otra vez con ella no aplica nada "
        "dos veces",
        "manage idempotency keys: `keys prune --before DATE`": "gestiona las claves de "
        "idempotencia: `keys prune --before FECHA`",
        "what to do": "qué hacer",
        "forget keys stored before this day": "olvida las claves guardadas antes de este día",
        "ok: keys would be pruned (nothing changed)": "ok: se olvidarían las claves (nada ha "
        "cambiado)",
        "forgot {count} idempotency key(s) stored before {day}": "olvidada(s) {count} "
        "clave(s) de idempotencia guardadas antes del {day}",
        "what the add-product dialog may offer a client today": "lo que el diálogo de añadir "
        "producto puede ofrecer hoy a un cliente",
        "not now": "ahora no",
        "warns": "avisa",
        "no cap": "sin máximo",
        "modules": "módulos",
        "no product is sold on this day": "no se vende ningún producto este día",
        "no action on this day: the client was last changed on {day}, and changes dated "
        "before it are refused (date.before_history)": "ninguna acción este día: el cliente "
        "cambió por última vez el {day}, y los cambios con fecha anterior se rechazan "
        "(date.before_history)",
        "extended once by {days}": "se amplía una vez {days}",
        "cannot be extended": "no se puede ampliar",
        "trial extension": "ampliación de la prueba",
        "changes to": "cambia a",
        "none": "ninguno",
        "grace period": "periodo de gracia",
        "not a language this tool speaks: '{text}' (en, es)": "no es un idioma de esta "
        "herramienta: '{text}' (en, es)",
        "error": "error",
        "product assigned": "producto asignado",
        "licences modified": "licencias modificadas",
        "management changed": "gestión cambiada",
        "service deleted": "servicio eliminado",
        "client deleted": "cliente eliminado",
        "product changed": "producto cambiado",
        "trial converted": "prueba convertida",
        "trial extended": "prueba ampliada",
        "sets grouped": "conjuntos agrupados",
        "added {modules}": "añadidos {modules}",
        "changed {modules}": "cambiados {modules}",
        "dropped {modules}": "quitados {modules}",
        ", dropped {modules}": ", quitados {modules}",
        " with {modules}": " con {modules}",
        "{id}: {product} x{seats} until {day}": "{id}: {product} x{seats} hasta el {day}",
        "seats {old}->{new}": "licencias {old}->{new}",
        "{id}: {product} for {term}, end {old} -> {new}": "{id}: {product} por {term}, fin "
        "{old} -> {new}",
        "{id}: end {old} -> {new}": "{id}: fin {old} -> {new}",
        "{id}: +{seats} ({term}) -> x{total}, end {old} -> {new}": "{id}: +{seats} ({term}) "
        "-> x{total}, fin {old} -> {new}",
        " [by {actor}]": " [por {actor}]",
        "credited": "abonado",
        "debited": "cargado",
        "recovered": "recuperado",
        "by {actor}": "por {actor}",
        "reason: {reason}": "motivo: {reason}",
        "no catalog plugin is installed": "no hay ningún plugin de catálogo instalado",
        # the catalog listing
        "licence types": "tipos de licencia",
        "periods": "periodos",
        ", up to {cap} seats": ", hasta {cap} licencias",
        ", cool-down {days}": ", espera entre pruebas {days}",
        "own seats": "licencias propias",
        "the product's seats": "las licencias del producto",
        "; sold, not enabled: warns": "; a la venta, no habilitado: avisa",
        # import and export
        "no file at {path}": "no hay ningún fichero en {path}",
        "imported {done} of {total} clients": "importados {done} de {total} clientes",
        "nothing imported: {count} bad row(s); fix them and run again": "no se ha importado "
        "nada: {count} fila(s) erróneas; corríjalas y vuelva a ejecutar",
        "imported {count} client(s)": "importado(s) {count} cliente(s)",
        ", skipped {count} already present": ", omitido(s) {count} que ya existían",
        "client '{client_id}' is already on line {line}": "el cliente '{client_id}' ya "
        "está en la línea {line}",
        "client '{client_id}': name or created_on differ from line {line}": "cliente "
        "'{client_id}': name o created_on difieren de la línea {line}",
        "missing key: {key}": "falta la clave: {key}",
        "missing column(s): {columns} (found: {found}; columns are separated by ',' or "
        "';')": "falta(n) la(s) columna(s): {columns} (encontradas: {found}; las columnas "
        "se separan con ',' o ';')",
        "unreadable row: {cause}": "fila ilegible: {cause}",
        "the row has {found} fields, the header {expected}": "la fila tiene {found} campos y "
        "la cabecera {expected}",
        "the JSON is nested too deeply": "el JSON está anidado a demasiada profundidad",
        "not UTF-8 text (byte {byte} of the line): save the file as UTF-8": "no es texto "
        "UTF-8 (byte {byte} de la línea): guarde el fichero como UTF-8",
        "interrupted: the batches already written stay; run the same import again to "
        "resume": "interrumpido: los lotes ya escritos se conservan; ejecute la misma "
        "importación otra vez para continuar",
        "interrupted": "interrumpido",
        "must be {low} or more, got {n}": "debe ser {low} o más, no {n}",
        "must be from {low} to {high}, got {n}": "debe estar entre {low} y {high}, no {n}",
        "{name}: devices in use must be 0 or more, got {n}": "{name}: los dispositivos en "
        "uso deben ser 0 o más, no {n}",
        "a client id cannot be empty": "el id de un cliente no puede estar vacío",
        "ok: the pool would be (nothing changed):": "ok: el pool quedaría así (nada ha cambiado):",
        "ok: the client would be added (nothing changed)": "ok: se añadiría el cliente (nada ha "
        "cambiado)",
        "ok: {count} client(s) read and checked; nothing imported (dry run)": "ok: {count} "
        "cliente(s) leídos y comprobados; no se ha importado nada (simulación)",
        "say whether a changing command would go through; change nothing": "indica si una "
        "orden que cambia datos se llevaría a cabo; no cambia nada",
        "let a correction (negative SEATS) take the pool below zero": "permite que una "
        "corrección (SEATS negativo) deje el pool por debajo de cero",
        "a client id has at most 200 printable characters, got '{text}'": "el id de un "
        "cliente tiene como mucho 200 caracteres imprimibles, no '{text}'",
        "the database is empty: give --db PATH or URL (or set {env}); an empty --db never "
        "falls back to another": "la base de datos está vacía: indique --db RUTA o URL (o "
        "defina {env}); un --db vacío nunca recurre a otra",
        "not a JSON object": "no es un objeto JSON",
        "client '{client_id}' is already in the store with other data: delete it there or "
        "leave it out of the file": "el cliente '{client_id}' ya está en la base de datos "
        "con otros datos: bórrelo allí o quítelo del fichero",
        "the partner's pool already has a history: the file's pool is imported only into a "
        "pool with none": "el pool del partner ya tiene historial: el pool del fichero solo "
        "se importa en un pool sin historial",
        "exported {count} client(s)": "exportado(s) {count} cliente(s)",
        "missing column(s): {columns}": "falta(n) la(s) columna(s): {columns}",
        "module '{module}': seats must be a whole number, got '{seats}'": "módulo "
        "'{module}': las licencias deben ser un número entero, no '{seats}'",
        "{column}: not a date (YYYY-MM-DD): '{text}'": "{column}: no es una fecha "
        "(AAAA-MM-DD): '{text}'",
        "quantity: not a whole number: '{text}'": "cantidad: no es un número entero: '{text}'",
        # the demo
        "refusing to replace {path}: it is not a demo database (the demo writes only its own "
        "file; omit --db to use ./{demo})": "no se sustituye {path}: no es una base de datos "
        "de demostración (la demo solo escribe su propio fichero; omita --db para usar "
        "./{demo})",
        "Demo database: {path} (partner '{partner}'), {count} clients, today {day}": "Base de "
        "datos de demostración: {path} (partner '{partner}'), {count} clientes, hoy {day}",
        "Monitoring list ({count} shown):": "Monitorización ({count} mostrados):",
        "Not shown: {name} [{id}], no service since {day} (90 days or more): `clients` lists "
        "it.": "No se muestra: {name} [{id}], sin servicio desde el {day} (90 días o más): "
        "`clients` lo lista.",
        "Explore it: {command}": "Explórela: {command}",
        # the command line's help (argparse's own words included)
        "usage: ": "uso: ",
        "positional arguments": "argumentos posicionales",
        "options": "opciones",
        "show this help message and exit": "muestra esta ayuda y termina",
        "show program's version number and exit": "muestra la versión del programa y termina",
        " (default: %(default)s)": " (por defecto: %(default)s)",
        "the following arguments are required: %s": "faltan los argumentos obligatorios: %s",
        "unrecognized arguments: %s": "argumentos no reconocidos: %s",
        "invalid choice: %(value)r (choose from %(choices)s)": "opción no válida: %(value)r "
        "(elija entre %(choices)s)",
        "argument %(argument_name)s: %(message)s": "argumento %(argument_name)s: %(message)s",
        "expected one argument": "se esperaba un argumento",
        "expected at least one argument": "se esperaba al menos un argumento",
        "%(prog)s: error: %(message)s\n": "%(prog)s: error: %(message)s\n",
        "Assign security products and modules to a partner's clients.": "Asigna productos "
        "de seguridad y módulos a los clientes de un partner.",
        "database: a file, sqlite:///PATH or postgresql://... (default: $CYTOLICENSE_DB or "
        "./cytolicense.db)": "base de datos: un fichero, sqlite:///RUTA o postgresql://... "
        "(por defecto: $CYTOLICENSE_DB o ./cytolicense.db)",
        "partner the data belongs to (default: $CYTOLICENSE_PARTNER or 'default')": "partner "
        "al que pertenecen los datos (por defecto: $CYTOLICENSE_PARTNER o 'default')",
        "date to act on (default: today)": "fecha en la que actuar (por defecto: hoy)",
        "language of messages (default: $CYTOLICENSE_LANG or en)": "idioma de los mensajes "
        "(por defecto: $CYTOLICENSE_LANG o en)",
        "who acts (recorded in the events)": "quién actúa (se registra en los eventos)",
        "why (recorded in the events)": "por qué (se registra en los eventos)",
        "print JSON for scripts": "imprime JSON para scripts",
        "print the installed catalog": "muestra el catálogo instalado",
        "add a client": "añade un cliente",
        "assign a product (and modules) to a client": "asigna un producto (y módulos) a un cliente",
        "say whether an assignment would go through, changing nothing": "dice si una "
        "asignación se haría, sin cambiar nada",
        "change a maintenance's seats or modules": "cambia las licencias o los módulos de un "
        "mantenimiento",
        "start centralized management of a maintenance": "inicia la gestión centralizada de "
        "un mantenimiento",
        "stop centralized management of a maintenance": "detiene la gestión centralizada de "
        "un mantenimiento",
        "delete a maintenance": "elimina un mantenimiento",
        "renew a commercial maintenance: new end = old end + period": "renueva un "
        "mantenimiento comercial: nuevo fin = fin anterior + periodo",
        "change a maintenance to another product of its family, from today": "cambia un "
        "mantenimiento a otro producto de su familia, desde hoy",
        "convert a trial into a commercial maintenance": "convierte una prueba en un "
        "mantenimiento comercial",
        "extend a trial once, by the product's extension days": "amplía una prueba una vez, "
        "con los días de ampliación del producto",
        "add seats bought for a term, co-termed": "añade licencias compradas para un periodo, "
        "con el mismo fin",
        "group a product's active licence sets into one, co-termed": "agrupa en uno los "
        "conjuntos de licencias activos de un producto, con el mismo fin",
        "show the partner's licence pool (`pool`), or credit it (`pool credit ITEM PERIOD "
        "SEATS`)": "muestra el stock de licencias del partner (`pool`), o abona licencias "
        "(`pool credit ITEM PERIOD SEATS`)",
        "list what expires soon (and what is in grace)": "lista lo que caduca pronto (y lo "
        "que está en periodo de gracia)",
        "seats that expire per product per month": "licencias que caducan por producto y mes",
        "compare devices in use with the seats in force": "compara los dispositivos en uso "
        "con las licencias vigentes",
        "delete a client (visible for 90 more days)": "elimina un cliente (visible 90 días más)",
        "show a client's detail": "muestra el detalle de un cliente",
        "show the seats a client may use today": "muestra las licencias que un cliente puede "
        "usar hoy",
        "show a client's events": "muestra los eventos de un cliente",
        "list the clients the console shows": "lista los clientes que muestra la consola",
        "list every client, shown or not": "lista todos los clientes, se muestren o no",
        "build a fresh demo database and show it": "crea una base de datos de demostración "
        "nueva y la muestra",
        "import clients from a CSV file or JSON lines (all or nothing per file)": "importa "
        "clientes de un fichero CSV o JSON lines (todo o nada por fichero)",
        "write every client and its events as JSON lines to stdout": "escribe todos los "
        "clientes y sus eventos como JSON lines en la salida estándar",
        "the new client's id": "el id del cliente nuevo",
        "its name, as the console shows it": "su nombre, tal como lo muestra la consola",
        "the client's id": "el id del cliente",
        "the product id (see `catalog`)": "el id del producto (véase `catalog`)",
        "number of seats": "número de licencias",
        "the licence type": "el tipo de licencia",
        "not a date (YYYY-MM-DD): '{text}'": "no es una fecha (AAAA-MM-DD): '{text}'",
        "not a whole number: '{text}'": "no es un número entero: '{text}'",
        "not a period: '{text}' (expected e.g. 1y, 2y, 3y or 1m)": "no es un periodo: "
        "'{text}' (por ejemplo 1y, 2y, 3y o 1m)",
        "expected ID=N (devices in use), got '{text}'": "se esperaba ID=N (dispositivos en "
        "uso), no '{text}'",
        "expected MODULE or MODULE=SEATS, got '{text}'": "se esperaba MODULE o MODULE=SEATS, "
        "no '{text}'",
        "1y, 2y, 3y or 1m (commercial only)": "1y, 2y, 3y o 1m (solo comerciales)",
        "add a module (repeatable)": "añade un módulo (repetible)",
        "centralized management or not": "gestión centralizada o no",
        "the maintenance id (see `detail`)": "el id del mantenimiento (véase `detail`)",
        "new number of seats": "nuevo número de licencias",
        "add a module or change its seats, keeping the others (repeatable)": "añade un módulo "
        "o cambia sus licencias, manteniendo los demás (repetible)",
        "remove a module (repeatable)": "quita un módulo (repetible)",
        "remove every module": "quita todos los módulos",
        "say whether it would go through, change nothing": "dice si se haría, sin cambiar nada",
        "the maintenance id (m1, m2, ...; see `detail`)": "el id del mantenimiento (m1, m2, "
        "...; véase `detail`)",
        "default: the maintenance's own period": "por defecto: el periodo del propio mantenimiento",
        "the new product id": "el id del producto nuevo",
        "the new term": "el nuevo periodo",
        "default: the old seats": "por defecto: las licencias anteriores",
        "the modules wanted (repeatable; default: the old maintenance's)": "los módulos "
        "deseados (repetible; por defecto: los del mantenimiento anterior)",
        "default: the old maintenance's": "por defecto: la del mantenimiento anterior",
        "the term they were bought for": "el periodo para el que se compraron",
        "the product whose licence sets are grouped": "el producto cuyos conjuntos de "
        "licencias se agrupan",
        "credit SEATS of ITEM (a product or module id) for PERIOD": "abona SEATS de ITEM (id "
        "de producto o módulo) para PERIOD",
        "the same as `pool credit ITEM PERIOD SEATS`": "lo mismo que `pool credit ITEM PERIOD "
        "SEATS`",
        "days ahead to look": "días por delante que mirar",
        "calendar months to count": "meses naturales que contar",
        "devices in use per product or module": "dispositivos en uso por producto o módulo",
        "a .csv (one row per maintenance) or .jsonl (from `export`)": "un .csv (una fila por "
        "mantenimiento) o un .jsonl (de `export`)",
        "clients per transaction": "clientes por transacción",
    }
}
"""What a person reads besides the findings, by language: English text -> translation.
English is the key itself; every key has a Spanish entry (a test checks it)."""


def language_of(tag: str) -> str:
    """The language of a locale or language tag this library speaks: ``es_MX``,
    ``es-ES``, ``es_ES.UTF-8`` and ``ES`` are ``"es"``; anything it does not speak is
    ``"en"``."""
    base = tag.replace("-", "_").split(".")[0].split("_")[0].strip().lower()
    return base if base in LANGUAGES else "en"


def tr(text: str, language: str, /, **values: object) -> str:
    """*text* in *language* (English when there is no translation), filled with *values*."""
    template = UI.get(language, {}).get(text, text)
    return template.format(**values) if values else template


def unit(n: int, name: str, language: str) -> str:
    """*n* of the unit *name* (``"year"``, ``"month"``, ``"day"``) in words: ``"1 year"``,
    ``"3 años"``."""
    return f"{n} {tr(name if n == 1 else name + 's', language)}"


def period_words(period: Period, language: str) -> str:
    """A period as every view writes it: ``"1 year"``, ``"3 years"``, ``"1 month"``,
    ``"1 year 6 months"`` (``"1y"`` is how it is typed, and what JSON holds)."""
    parts = [unit(period.years, "year", language)] if period.years else []
    if period.months:
        parts.append(unit(period.months, "month", language))
    return " ".join(parts)
