// The facts below every stage (src/facts/): release comparison and the chart's name limits.
import { describe, expect, it } from 'vitest';
import { chartFullname, DNS1123_LABEL, FULLNAME_MAX } from '../src/facts/kubernetes-names.js';
import { settingKey } from '../src/facts/pins.js';
import { compareReleases } from '../src/facts/releases.js';

describe('compareReleases', () => {
  it('compares release numbers as numbers, part by part, a missing part as 0', () => {
    expect(compareReleases('1.99.1', '1.100.0')).toBe(-1);
    expect(compareReleases('1.100.2', '1.100.10')).toBe(-1);
    expect(compareReleases('2.0', '1.999.999')).toBe(1);
    expect(compareReleases('1.2', '1.2.0')).toBe(0);
  });

  it('sorts a pre-release before its release', () => {
    expect(compareReleases('1.100.0-rc1', '1.100.0')).toBe(-1);
    expect(compareReleases('1.100.0', '1.100.0-rc1')).toBe(1);
    expect(compareReleases('1.100.0-rc1', '1.99.0')).toBe(1);
  });

  it("chooses a versioned setting's variable by the release", () => {
    expect(settingKey('loggingOutput', '1.103.0', compareReleases)).toBe('BINDPLANE_LOGGING_OUTPUT');
  });
});

describe("the chart's names", () => {
  it('adds the chart name to a release that lacks it, and keeps the longest derived name a DNS label', () => {
    expect(chartFullname('demo')).toBe('demo-bindplane');
    expect(chartFullname('my-bindplane')).toBe('my-bindplane');
    expect(`${'a'.repeat(FULLNAME_MAX)}-nats-cluster-headless`).toHaveLength(63);
    expect(DNS1123_LABEL.test('demo-1')).toBe(true);
    expect(DNS1123_LABEL.test('-demo')).toBe(false);
  });
});
