"""A small registry of the API's routes and parameters, from which the OpenAPI
document is generated: each endpoint is described once, next to its code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False
    location: str = "query"


@dataclass
class Operation:
    path: str
    method: str
    summary: str
    params: tuple[Param, ...] = ()
    body: dict[str, Any] | None = None
    response: str = "object"
    errors: tuple[int, ...] = (400,)


OPERATIONS: list[Operation] = []


def document(path: str, method: str, summary: str, **kwargs: Any):
    """Register an operation for the OpenAPI document; returns the view unchanged."""

    def decorator(view):
        OPERATIONS.append(Operation(path, method, summary, **kwargs))
        return view

    return decorator


def _schemas(frein_codes: list[str]) -> dict[str, Any]:
    string, number = {"type": "string"}, {"type": "number"}
    nullable_str = {"type": ["string", "null"]}
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message", "details"],
                    "properties": {
                        "code": string,
                        "message": string,
                        "details": {"type": "object"},
                    },
                }
            },
        },
        "Commune": {
            "type": "object",
            "properties": {
                "code_insee": string,
                "nom": string,
                "codes_postaux": {"type": "array", "items": string},
                "departement": string,
                "lat": {"type": ["number", "null"]},
                "lon": {"type": ["number", "null"]},
            },
        },
        "Partner": {
            "type": "object",
            "required": ["id", "nom", "type", "commune", "freins", "zone", "sources"],
            "properties": {
                "id": string,
                "nom": string,
                "type": {"type": "object", "properties": {"code": string, "label": string}},
                "adresse": string,
                "code_postal": string,
                "commune": {"type": "object"},
                "departement": nullable_str,
                "lat": {"type": ["number", "null"]},
                "lon": {"type": ["number", "null"]},
                "telephone": string,
                "email": string,
                "site_web": string,
                "horaires": string,
                "freins": {"type": "array", "items": {"type": "string", "enum": frein_codes}},
                "thematiques": {"type": "array", "items": string},
                "publics": {"type": "array", "items": string},
                "zone": {"type": "object"},
                "sources": {"type": "array", "items": {"type": "object"}},
                "updated_at": nullable_str,
                "distance_km": {"type": ["number", "null"]},
            },
        },
        "Result": {
            "type": "object",
            "properties": {
                "partner": {"$ref": "#/components/schemas/Partner"},
                "score": number,
                "distance_km": {"type": ["number", "null"]},
                "verdict": {"type": "string", "enum": ["compatible", "a_verifier"]},
                "reasons": {"type": "array", "items": string},
                "warnings": {"type": "array", "items": string},
            },
        },
    }


def openapi_document(frein_codes: list[str], server_url: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    error_ref = {"$ref": "#/components/schemas/Error"}
    for op in OPERATIONS:
        responses: dict[str, Any] = {
            "200": {
                "description": "Succès",
                "content": {"application/json": {"schema": {"type": op.response}}},
            }
        }
        for status in op.errors:
            responses[str(status)] = {
                "description": "Erreur",
                "content": {"application/json": {"schema": error_ref}},
            }
        entry: dict[str, Any] = {
            "summary": op.summary,
            "operationId": f"{op.method}_{op.path}".replace("/", "_")
            .replace("{", "")
            .replace("}", ""),
            "parameters": [
                {
                    "name": p.name,
                    "in": p.location,
                    "required": p.required or p.location == "path",
                    "description": p.description,
                    "schema": p.schema,
                }
                for p in op.params
            ],
            "responses": responses,
        }
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": op.body}},
            }
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Relais — API v1",
            "version": "1.0.0",
            "description": "Annuaire des partenaires de l'insertion et moteur d'orientation.",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {"schemas": _schemas(frein_codes)},
    }
