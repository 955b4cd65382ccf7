// The committed journey schema, for the designer's tests (the one the API serves).

import schemaText from "../../../schemas/journey.schema.json?raw";
import { expressionReader } from "./expressionFields";
import { slotReader, type JsonSchema } from "./slots";

export const journeySchema = JSON.parse(schemaText) as JsonSchema;
export const slotsOf = slotReader(journeySchema);
export const expressionsOf = expressionReader(journeySchema);
