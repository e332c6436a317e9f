"""The ids a new client may take (private): what a URL path segment can carry."""

from __future__ import annotations

from ._exceptions import ClientIdError, said

__all__ = ["check_new_client_id"]


def check_new_client_id(client_id: object) -> None:
    """Refuse, with :class:`ClientIdError`, an id a *new* client may not take beyond
    what every id may hold (:func:`._validation.text_problem`, which the records
    check): one that a URL path segment cannot carry unambiguously. A client's address in the web
    console and the JSON API is ``/clients/ID``: servers decode ``%2F`` before
    routing, so an id holding ``/`` is split in two, and ``.`` and ``..`` are dot
    segments every URL parser removes (``%2E`` too). Any other character is sent
    percent-encoded and arrives intact."""
    if type(client_id) is not str:
        return  # the record says what is wrong with it
    if "/" in client_id:
        template = (
            "client id '{client_id}' contains '/': a client's id is one segment of its "
            "address (/clients/ID), which cannot hold '/'"
        )
    elif client_id in (".", ".."):
        template = (
            "client id '{client_id}' cannot be '.' or '..': such a segment of an address "
            "(/clients/ID) is dropped"
        )
    else:
        return
    error = said(ClientIdError, template, client_id=client_id)
    error.client_id = client_id
    raise error
