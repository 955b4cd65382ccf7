// The field for any schema: a nested fieldset, a list, a map or one input, by its kind.

import { ArrayField } from "./ArrayField";
import type { FieldProps } from "./fieldProps";
import { LeafField } from "./LeafField";
import { MapField } from "./MapField";
import { ObjectField } from "./ObjectField";

export function FieldInput(props: FieldProps) {
  const type = props.spec.type;
  switch (type.kind) {
    case "object":
      return <ObjectField {...props} schema={type.schema} />;
    case "array":
      return <ArrayField {...props} item={type.item} />;
    case "map":
      return <MapField {...props} valueType={type.value} />;
    default:
      return <LeafField {...props} />;
  }
}
