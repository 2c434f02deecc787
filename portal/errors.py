"""Error pages in Chinese: a friendly 404, a 400 that names the bad parameter, and never a stack
trace. Paths of the open-data API keep the API's own problem+json answers."""
from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

TITLES = {400: "请求参数有误", 404: "未找到此页面", 405: "不支持的请求方法", 429: "访问过于频繁", 500: "服务器内部错误"}
ADVICE = {400: "请检查地址中的参数后重试。", 404: "地址可能有误，或这条信息尚未公示。可以试试搜索。",
          405: "此地址只能用浏览器打开（GET）。", 429: "同一网络在短时间内打开的页面过多，请稍等片刻再试。",
          500: "我们已记录此错误，请稍后重试。"}

UNTRUSTED_HOST = "400 请求的主机名不属于本站，请使用本站的正式地址访问。\n"


def install(app: Flask) -> None:
    for code in TITLES:
        app.register_error_handler(code, _page)


def _page(exc: HTTPException):
    from gongshi.api.problems import PREFIXES, problem

    code = exc.code or 500
    if request.path.startswith(PREFIXES):
        response = problem(code)
        if "Allow" in exc.get_response().headers:
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response
    if isinstance(exc, SecurityError):  # a Host outside the trusted ones: no URL can be built
        return UNTRUSTED_HOST, code, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
    # Werkzeug's default descriptions are English; only our own (Chinese) ones are shown.
    own = exc.description if exc.description and exc.description != type(exc).description else None
    detail = None if isinstance(exc, InternalServerError) else own
    response = render_template("error.html", code=code, title=TITLES[code], detail=detail, advice=ADVICE[code])
    return response, code, {"Cache-Control": "no-store"}
