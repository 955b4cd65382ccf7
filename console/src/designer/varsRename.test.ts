import { describe, expect, it } from "vitest";

import { renameVars } from "./varsRename";

const expr = (source: string, to = "cart") => renameVars(source, "expression", "lookup", to);
const tmpl = (source: string, to = "cart") => renameVars(source, "template", "lookup", to);

describe("renaming the vars reads of a node", () => {
  it("renames dotted and subscript reads of exactly that id", () => {
    expect(expr("vars.lookup.total > 1 and vars[\"lookup\"].ok and vars['lookup'] and vars . lookup")).toBe(
      "vars.cart.total > 1 and vars[\"cart\"].ok and vars['cart'] and vars.cart",
    );
    expect(expr("vars.lookup_2 or vars.lookups or vars['lookup-2'] or vars.lookup-2")).toBe(
      "vars.lookup_2 or vars.lookups or vars['lookup-2'] or vars.cart-2",
    );
  });

  it("leaves other names, attributes called vars and string literals alone", () => {
    const source = "myvars.lookup or loop.vars.lookup or 'vars.lookup' or \"it's vars.lookup\" or x_vars['lookup']";
    expect(expr(source)).toBe(source);
    expect(expr("'a \\' vars.lookup' ~ vars.lookup")).toBe("'a \\' vars.lookup' ~ vars.cart");
  });

  it("writes a subscript for an id that is no identifier", () => {
    expect(expr("vars.lookup.total", "cart-data")).toBe("vars['cart-data'].total");
    expect(expr("vars.lookup", "1st")).toBe("vars['1st']");
  });

  it("renames only in the code of a template, not its text, comments or raw blocks", () => {
    expect(tmpl("Total vars.lookup: {{ vars.lookup.total }}{# vars.lookup #}{%- if vars.lookup -%}!{% endif %}")).toBe(
      "Total vars.lookup: {{ vars.cart.total }}{# vars.lookup #}{%- if vars.cart -%}!{% endif %}",
    );
    expect(tmpl("{{ '}}' ~ vars.lookup }} {% raw %}{{ vars.lookup }}{% endraw %} {{ vars.lookup }}")).toBe(
      "{{ '}}' ~ vars.cart }} {% raw %}{{ vars.lookup }}{% endraw %} {{ vars.cart }}",
    );
    expect(tmpl("{{ vars.lookup")).toBe("{{ vars.cart");
  });
});
