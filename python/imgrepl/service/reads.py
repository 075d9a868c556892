"""Answers to GETs of image versions, kept briefly (imgrepl.api.recent):
while a replication runs, pollers, the SDKs and the status page read the
same version again and again, and each read costs a role check and catalog
reads on a worker thread.  An answer is served again only while this
process has committed no catalog write since it was read (a PUT, or a
replication's progress, shows at the very next GET) and for at most TTL
seconds (a write by another process, an agent or the CLI, shows within
TTL).  Answers are kept per proven caller, so what one principal may read
is never served to another; only 200s are kept."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable

from starlette.responses import Response

from imgrepl.api.recent import Recent

TTL = 0.5  # seconds: how far behind another process's writes an answer may be
JSON = "application/json"


class ReadCache:
    def __init__(self, ttl: float = TTL) -> None:
        self._recent: Recent[Response] = Recent(ttl, follow_writes=True)

    async def get(self, key: Hashable, read: Callable[[], Awaitable[Response]]) -> Response:
        """The answer kept for `key` if it is fresh, else `read()`'s."""
        answer = await self._recent.get(key, read, _keeps)
        return Response(bytes(answer.body), media_type=JSON) if _keeps(answer) else answer


def _keeps(answer: Response) -> bool:
    return answer.status_code == 200 and answer.media_type == JSON
