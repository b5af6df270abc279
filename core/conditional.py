"""One conditional DynamoDB UpdateItem, and how to tell that its condition did not hold."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from core.items import serializer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.literals import ReturnValueType
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, UpdateItemOutputTypeDef


def is_condition_failure(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def conditional_update(
    db: DynamoDBClient,
    table: str,
    key: dict[str, AttributeValueTypeDef],
    expression: str,
    condition: str,
    values: dict[str, Any],
    names: dict[str, str],
    *,
    returns: ReturnValueType,
) -> UpdateItemOutputTypeDef | None:
    """The answer, or None when the condition does not hold. `returns="NONE"` where the caller needs only to know
    that the write held: then the item is not sent back, parsed and validated for nothing."""
    try:
        return db.update_item(
            TableName=table,
            Key=key,
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={k: serializer.serialize(v) for k, v in values.items()},
            ReturnValues=returns,
        )
    except ClientError as exc:
        if is_condition_failure(exc):
            return None
        raise
