"""A property-based run of the whole API from its own OpenAPI document (schemathesis, against
the WSGI app on SQLite and PostgreSQL): whatever the input, no 5xx, and every response matches
the status codes, content types and schemas the document declares. One test per operation."""
from __future__ import annotations

import dataclasses

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from gongshi import search
from gongshi.api import api, v1
from gongshi.api.openapi import spec_dict
from gongshi.app import create_app
from tests.test_api import city, city_files  # noqa: F401  (fixtures)

PATHS = sorted(spec_dict(v1.url_prefix, tuple(api.endpoints))["paths"])


@pytest.mark.parametrize("path", PATHS)
def test_the_api_keeps_its_openapi_promises(city, settings, path):  # noqa: F811
    search.index_all(city, settings.index_dir)
    unlimited = dataclasses.replace(settings, rate_limit="off")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", create_app(unlimited, database=city))
    operation = schema[path]["GET"]

    @given(case=operation.as_strategy())
    @hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        case.call_and_validate()

    check()
