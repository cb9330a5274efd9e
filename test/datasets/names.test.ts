/** The datasets' names, read without loading their declarations, are the declarations' own, in order. */
import { describe, expect, it } from "vitest";
import { SYNCABLE_DATASETS } from "../../src/contracts/datasets.js";
import { DATASETS } from "../../src/datasets/index.js";
import { DATASET_NAMES } from "../../src/datasets/names.js";

describe("dataset names", () => {
  it("are the declarations' names, in the order sync all and datasets use", () => {
    expect(DATASET_NAMES).toEqual(DATASETS.map((d) => d.name));
    expect(SYNCABLE_DATASETS).toEqual(["convocatorias", ...DATASETS.map((d) => d.name)]);
  });
});
