"""The OpenAPI 3.1 document, generated with apispec from the same marshmallow schemas and the
same endpoint registry the views use: nothing in it is written by hand."""
from __future__ import annotations

import re
from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from gongshi.api.endpoint import Endpoint, openapi_path
from gongshi.api.problems import PROBLEM_TYPE
from gongshi.api.schemas import MAX_ID, ProblemSchema

DESCRIPTION = """公示（双随机、一公开）开放数据接口。数据公开，无需密钥；所有响应为 JSON，错误为
`application/problem+json`（RFC 9457），`detail` 以中文说明出错的参数。

- 列表返回 `{"items": [...], "next": "下一页地址或 null", "total": 总数}`，按编号稳定排序，
  `limit` 最多 1000（默认 50）；翻页请直接请求 `next`，新数据导入时不会跳过或重复。
- 每个响应带 `ETag` 与 `Last-Modified`，可用 `If-None-Match` / `If-Modified-Since` 重新验证（304）。
- 按客户端限流，超出时返回 429 与 `Retry-After`。
- 日期为 ISO 8601；金额以元为单位、保留两位小数；规范化的数值旁保留公布原文（如 `planned_count`
  与 `planned_count_text`）。
- 每条事实带 `source`：来源文件、获取时间与行号。整库下载（CSV、JSON Lines、Excel）及字段说明见 `/data`。
"""


def _page_schema(item: type[Schema]) -> type[Schema]:
    name = item.__name__.removesuffix("Schema")
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item), required=True, metadata={"description": "本页条目"}),
        "next": fields.String(required=True, allow_none=True, metadata={"description": "下一页的完整地址；最后一页为 null"}),
        "total": fields.Integer(required=True, metadata={"description": "符合条件的总条数"}),
    }, name=f"{name}Page")


def _problem(description: str) -> dict:
    return {"description": description, "content": {PROBLEM_TYPE: {"schema": "Problem"}}}


def _path_parameters(rule: str) -> list[dict]:
    params = []
    for converter, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", rule):
        schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID} if converter == "int" else {"type": "string"}
        params.append({"in": "path", "name": name, "required": True, "schema": schema})
    return params


def _operation(endpoint: Endpoint) -> dict:
    body = _page_schema(endpoint.schema) if endpoint.many else endpoint.schema
    parameters = _path_parameters(endpoint.rule)
    if endpoint.args is not None:
        parameters.append({"in": "query", "schema": endpoint.args})
    responses = {"200": {"description": "成功", "content": {"application/json": {"schema": body}}},
                 "304": {"description": "未修改（ETag 或 Last-Modified 与客户端缓存一致）"},
                 "400": _problem("参数无效：detail 指出是哪个参数"),
                 "429": _problem("请求过于频繁：请按 Retry-After 等待后重试")}
    if endpoint.not_found:
        responses["404"] = _problem("未找到")
    if endpoint.unavailable:
        responses["503"] = _problem(endpoint.unavailable)
    return {"get": {"operationId": endpoint.name, "summary": endpoint.summary, "tags": [endpoint.tag],
                    "description": endpoint.description, "parameters": parameters, "responses": responses}}


@cache
def spec_dict(prefix: str, endpoints: tuple[Endpoint, ...]) -> dict:
    spec = APISpec(title="公示 开放数据接口", version="1.0.0", openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin()], info={"description": DESCRIPTION, "license": {
                       "name": "数据：政府公开信息；代码：MIT", "identifier": "MIT"}})
    spec.components.schema("Problem", schema=ProblemSchema)
    for endpoint in endpoints:
        spec.path(path=prefix + openapi_path(endpoint.rule), operations=_operation(endpoint))
    return spec.to_dict()
