"""The live status page of `imgrepl serve`: `GET /` signs in with a token
and shows, for the signed-in principal, galleries -> image definitions ->
versions with each version's replication by region (progress bars that move
while it runs, failed regions with their details, replica counts, storage
and egress).

    routes  the HTTP side: sign-in cookie, the overview as JSON, the files
    data    the overview, read through imgrepl.api as the principal
    static  index.html, page.js, page.css: plain, written here, no network
"""

from imgrepl.service.page.routes import StatusPage

__all__ = ["StatusPage"]
