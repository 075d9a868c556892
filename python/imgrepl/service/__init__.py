"""`imgrepl serve`: the gallery as an HTTPS service speaking Azure's ARM REST
API for Microsoft.Compute/galleries, so unmodified Azure SDKs work against it.

    config      what the server is started with (home, import roots, ...)
    app         the ASGI application (Starlette) and its lifespan
    server      uvicorn under TLS, the `listening on` line, clean stops
    http        uvicorn's httptools protocol, with a bound on request heads
    errors      ARM-shaped error responses and ARM's codes
    arm         the resource routes: galleries, images, versions
    operations  ARM's async operation pattern (Azure-AsyncOperation)
    page        the live status page at / (sign-in cookie, overview, files)

A layer of its own between the CLI and imgrepl.api: every request acts
through a Client bound to the principal its bearer token proves.
"""
