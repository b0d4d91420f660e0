"""Drive the emulator with boto3, parameter validation off, and print each call's answer.

Usage: boto3_calls.py ENDPOINT < calls.json, where calls.json is a list of
{"service": ..., "op": ..., "params": {...}} (op in boto3's snake_case). Prints one JSON
object per call: {"code": error code or "", "status": HTTP status, "result": the answer of a
successful get_* call}. The first line is the
boto3 and botocore versions, for the test's log.
"""
import json
import sys

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint = sys.argv[1]
calls = json.load(sys.stdin)
print(json.dumps({"boto3": boto3.__version__, "botocore": botocore.__version__}))
session = boto3.session.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1")
config = Config(parameter_validation=False, retries={"max_attempts": 1}, s3={"addressing_style": "path"})
clients = {}
for call in calls:
    svc = call["service"]
    if svc not in clients:
        clients[svc] = session.client(svc, endpoint_url=endpoint, config=config)
    try:
        resp = getattr(clients[svc], call["op"])(**call.get("params", {}))
        status = resp.pop("ResponseMetadata")["HTTPStatusCode"]
        result = resp if call["op"].startswith("get_") else None
        print(json.dumps({"code": "", "status": status, "result": result}, default=str))
    except ClientError as e:
        print(json.dumps({"code": e.response["Error"].get("Code", ""), "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}))
