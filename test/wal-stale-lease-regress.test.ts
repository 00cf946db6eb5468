/**
 * False alarm of the clean model, met by an untuned run (semisync-after-sync, seed
 * 3932366433, run 1506): a clog held the monitor's answers to n1 back 355 ms and a
 * one-way partition dropped n1's later heartbeats, so n1's lease lapsed (t=65) and
 * n2 was promoted on timeline 2. At t=360 the answer to n1's first heartbeat (sent
 * at t=5, granting a lease to t=65) arrived; n1 took it as a fresh grant, served
 * again as primary on timeline 1 and answered a read with nil after n2 had
 * committed k1 (linearizable-primary-reads broke). A lease runs leaseMs from the
 * heartbeat's send (as a DCS key's TTL runs from the request): an answer arriving
 * after that window grants nothing, so it must neither renew the lease nor resume.
 */
import { describe, expect, it } from 'vitest';
import { completion, events, judgeClean, readValue } from './wal-helpers.js';
import { decodeToken } from '../src/scenario/compact.js';
import { parseScenario } from '../src/scenario/validate.js';

const TOKEN = 'rc1:jZJNSwMxEIb_y3uO0l3bWnMroicrUgWRUiRkpxo2m6xJqi5l_7tM-mGFHrzNJpPnebOTDRpfkYXEl7IQ0N6tzBvkBoFaa7RKxjtIRGpM7JyGOJTPyqQHb1yCxPT26Wb--vhyf33UMNV1hCxERqluFh8ozEn7UEGOBj03UgVZDC6Ho8l4OCl5JUbjXYRcbGAqFhcQaL01uoNEG0yjQgcB326bVJqxpJyw5oODp2-Xd1Z8KQjUkKiZ8plxZwX6pQA5pmvfNCah75e92AvL_wgvxsVJYfgVnrQsBVZqbdOWVZvtvvVvEDtyKbAKvoFEA4HkIeE4PX2noLJ6NBKo1iGPJp8oJ5x-B2tVSCZP7UAs9sgFo5Zb6gINl97Rs-ogU1jTX-z46oLjOkpfPtR80Ypy9jvj8qdViRz_pWM3Jc9PQCtLDBmcFwLxXbUEWXCtVcvref7WxzhXiSAHrG53dd_3Pw';

describe('wal lease and late heartbeat answers', () => {
  it('an answer arriving after its lease window does not make a demoted primary serve again', () => {
    const s = parseScenario(decodeToken(TOKEN));
    const v = judgeClean(s);
    const h = v.run!.history;
    // The path: n1 lost its lease, n2 was promoted and committed k1 before the late answer came.
    expect(events(h, 'demote', 'n1').length).toBeGreaterThan(0);
    expect(events(h, 'promote', 'n2').length).toBe(1);
    expect(h.some((e) => e.type === 'net' && e.ev === 'recv' && e.from === 'm' && e.to === 'n1' && e.label === 'hb-ack' && e.t > 300)).toBe(true);
    // n1 stays down until it follows n2: it answers no read on the old timeline.
    if (completion(h, 1)?.type === 'ok') expect(readValue(h, 1)).toBe('s1-1');
  });
});
