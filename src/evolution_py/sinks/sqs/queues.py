"""The SQS queues of one account, through aiobotocore: upstream's FIFO queues, created when missing.

aiobotocore rather than boto3 in a thread: each send is an await on aiohttp (which the server already
uses), so hundreds of sends can be in flight without a thread each, and stopping cancels them cleanly.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from aiobotocore.session import get_session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from evolution_py.sinks.sqs.config import SqsSettings

log = logging.getLogger(__name__)

MISSING_QUEUE = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
# Answers that no retry will change: the message itself is refused.
REFUSED = ("InvalidMessageContents", "InvalidParameterValue", "MissingParameter", "InvalidParameterCombination")


class SqsUnavailable(Exception):
    """SQS did not take the message now (unreachable, throttled, 5xx, credentials): retry later."""


class SqsRefused(Exception):
    """SQS refused the message itself: retrying will not help."""


class SqsQueues:
    def __init__(self, settings: SqsSettings) -> None:
        self.settings = settings
        self._stack = contextlib.AsyncExitStack()
        self._client: Any = None
        self._urls: dict[str, str] = {}

    async def start(self) -> None:
        session = get_session()
        config = Config(
            connect_timeout=5,
            read_timeout=15,
            retries={"max_attempts": 1},  # the bus retries, forever, from its outbox
            max_pool_connections=64,
        )
        self._client = await self._stack.enter_async_context(
            session.create_client(
                "sqs",
                region_name=self.settings.region or "us-east-1",
                endpoint_url=self.settings.endpoint,
                aws_access_key_id=self.settings.access_key_id or None,
                aws_secret_access_key=self.settings.secret_access_key or None,
                config=config,
            )
        )

    async def stop(self) -> None:
        await self._stack.aclose()
        self._client = None

    async def ensure(self, name: str, *, content_dedup: bool) -> str:
        """The queue's URL, creating it with upstream's attributes when it does not exist."""
        url = self._urls.get(name)
        if url is not None:
            return url
        try:
            answer = await self._call("get_queue_url", QueueName=name, **self._owner())
        except SqsRefused:
            attributes = {"FifoQueue": "true"}
            if content_dedup:
                attributes["ContentBasedDeduplication"] = "true"
            answer = await self._call("create_queue", QueueName=name, Attributes=attributes)
            log.info("sqs: queue %s created", name)
        url = str(answer["QueueUrl"])
        self._urls[name] = url
        return url

    async def send(self, name: str, body: str, *, group_id: str, dedup_id: str, content_dedup: bool) -> None:
        url = await self.ensure(name, content_dedup=content_dedup)
        try:
            await self._call(
                "send_message", QueueUrl=url, MessageBody=body, MessageGroupId=group_id, MessageDeduplicationId=dedup_id
            )
        except SqsRefused as exc:
            if str(exc) in MISSING_QUEUE:  # deleted since we looked it up: create it again next time
                self._urls.pop(name, None)
                raise SqsUnavailable(f"queue {name} is gone") from exc
            raise

    def _owner(self) -> dict[str, str]:
        return {"QueueOwnerAWSAccountId": self.settings.account_id} if self.settings.account_id else {}

    async def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        if self._client is None:
            raise SqsUnavailable("not started")
        try:
            answer: dict[str, Any] = await getattr(self._client, operation)(**params)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in MISSING_QUEUE or code in REFUSED:
                raise SqsRefused(code) from exc
            raise SqsUnavailable(code or "error") from exc
        except (BotoCoreError, OSError, TimeoutError) as exc:
            raise SqsUnavailable(type(exc).__name__) from exc
        return answer
