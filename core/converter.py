"""The Temporal data converter: pydantic models travel as JSON in workflow histories."""

from __future__ import annotations

from temporalio.contrib.pydantic import pydantic_data_converter

data_converter = pydantic_data_converter
