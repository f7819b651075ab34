"""Test helpers of the SQS sink: the env that points the server at a moto server, and an ordinary
boto3 consumer (run in a thread) that reads a FIFO queue."""

from __future__ import annotations

import asyncio
from typing import Any

import boto3
import msgspec

from evolution_py.sinks.moto_server import MOTO_ACCOUNT, MOTO_KEYS


def sqs_env(port: int, **extra: str) -> dict[str, str]:
    return {
        "SQS_ENABLED": "true",
        "SQS_ENDPOINT": f"http://127.0.0.1:{port}",
        "SQS_ACCESS_KEY_ID": MOTO_KEYS["access_key"],
        "SQS_SECRET_ACCESS_KEY": MOTO_KEYS["secret_key"],
        "SQS_REGION": MOTO_KEYS["region"],
        "SQS_ACCOUNT_ID": MOTO_ACCOUNT,
        **extra,
    }


class SqsConsumer:
    def __init__(self, port: int) -> None:
        self.client = boto3.client(
            "sqs",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name=MOTO_KEYS["region"],
            aws_access_key_id=MOTO_KEYS["access_key"],
            aws_secret_access_key=MOTO_KEYS["secret_key"],
        )

    def queue_names(self) -> list[str]:
        urls = self.client.list_queues().get("QueueUrls", [])
        return sorted(url.rsplit("/", 1)[-1] for url in urls)

    def attributes(self, name: str) -> dict[str, str]:
        url = self.client.get_queue_url(QueueName=name)["QueueUrl"]
        found: dict[str, str] = self.client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        return found

    def _receive(self, name: str) -> list[dict[str, Any]]:
        url = self.client.get_queue_url(QueueName=name)["QueueUrl"]
        answer = self.client.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"]
        )
        messages: list[dict[str, Any]] = answer.get("Messages", [])
        for message in messages:
            self.client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return messages

    async def take(self, name: str, count: int, within: float = 20.0) -> list[dict[str, Any]]:
        """Receive (and delete) until `count` messages came or `within` seconds passed; all received."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        got: list[dict[str, Any]] = []
        while len(got) < count and loop.time() < deadline:
            try:
                got.extend(await asyncio.to_thread(self._receive, name))
            except self.client.exceptions.QueueDoesNotExist:
                await asyncio.sleep(0.2)
        return got


def body(message: dict[str, Any]) -> dict[str, Any]:
    return msgspec.json.decode(message["Body"])  # type: ignore[no-any-return]
