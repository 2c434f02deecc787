"""Errors as RFC 9457 problem details (`application/problem+json`) with a Chinese `detail`,
for every error under /api and /downloads, including Flask's own 404, 405, 429 and 500 (an
unhandled exception reaches the HTTPException handler as InternalServerError)."""
from __future__ import annotations

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE = "application/problem+json"
TITLES = {400: "请求参数无效", 404: "未找到", 405: "不支持的请求方法", 429: "请求过于频繁", 500: "服务器内部错误",
          503: "服务暂不可用"}
DETAILS = {404: "没有这个地址", 405: "此地址只支持 GET 请求", 429: "请求过于频繁，请稍后重试",
           500: "服务器内部错误，我们已记录，请稍后重试"}
PREFIXES = ("/api/", "/downloads/")


class ApiError(Exception):
    """Raised by views for a problem the client can fix (400) or an unknown id (404)."""

    def __init__(self, status: int, detail: str, **extra):
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra


def problem(status: int, detail: str | None = None, **extra) -> Response:
    body = {"type": "about:blank", "title": TITLES.get(status, "错误"), "status": status,
            "detail": detail or DETAILS.get(status, TITLES.get(status, "错误")), "instance": request.path, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_TYPE
    return response


def invalid(parameter: str, message: str) -> ApiError:
    return ApiError(400, f"参数 {parameter} 无效：{message}", parameter=parameter)


def not_found(what: str, key: object) -> ApiError:
    return ApiError(404, f"未找到{what}：{key}")


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return problem(exc.status, exc.detail, **exc.extra)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not request.path.startswith(PREFIXES):
            return exc
        response = problem(exc.code or 500)
        original = exc.get_response().headers
        for name in ("Allow", "Retry-After"):  # 405 says what is allowed; 429 when to retry
            if name in original:
                response.headers[name] = original[name]
        return response
