"""`imgrepl.Client`, access tokens: the home's owner makes, lists and
revokes the opaque tokens principals present to the service (the secret is
returned once, by create_token, and only its hash is kept)."""

from __future__ import annotations

import time

from imgrepl.api.base import ClientBase
from imgrepl.gallery import identity
from imgrepl.gallery.identity import NewToken, Token
from imgrepl.gallery.rules import principal_name


class TokenApi(ClientBase):
    async def create_token(
        self, principal: str, expires_in: str = identity.DEFAULT_LIFETIME
    ) -> NewToken:
        """A token proving `principal` for `expires_in` (`1h`, `30d`...)."""
        catalog = await self._owner("create tokens")
        name = principal_name(principal)
        lifetime = identity.parse_duration(expires_in)
        secret, token_id = identity.new_token()
        now = time.time()
        stored = Token(token_id, name, now, now + lifetime)
        await self._run(catalog.tokens.add, stored, identity.token_hash(secret))
        return NewToken(secret, stored)

    async def list_tokens(self, principal: str | None = None) -> list[Token]:
        """Every token (of one principal), without its secret."""
        catalog = await self._owner("list tokens")
        return await self._run(catalog.tokens.all, principal_name(principal) if principal else None)

    async def revoke_token(self, token_id: str) -> Token:
        """From now on the token proves nothing; revoking it again changes nothing."""
        catalog = await self._owner("revoke tokens")
        return await self._run(catalog.tokens.revoke, token_id.strip(), time.time())
