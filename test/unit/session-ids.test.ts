import { SessionIdSigner } from '../../src/mcp/session-ids';

describe('SessionIdSigner', () => {
  const signer = new SessionIdSigner('a-secret-of-enough-length', () => Date.UTC(2026, 5, 1, 12, 0, 0, 789));

  it('accepts the ids it issued and returns the facts they carry, with the issue time to the second', () => {
    const issuedAt = Date.UTC(2026, 5, 1, 12, 0, 0);
    expect(signer.verify(signer.issue({ elicitation: true }).id)).toEqual({ elicitation: true, issuedAt });
    expect(signer.verify(signer.issue({ elicitation: false }).id)).toEqual({ elicitation: false, issuedAt });
  });

  it('tells at issue what verifying the id will tell, with and without a principal', () => {
    for (const facts of [{ elicitation: true }, { elicitation: false, principalTag: 'A'.repeat(22) }]) {
      const issued = signer.issue(facts);
      expect(issued.facts).toEqual(signer.verify(issued.id));
      expect(issued.facts).toEqual({ ...facts, issuedAt: Date.UTC(2026, 5, 1, 12, 0, 0) });
    }
  });

  it('refuses an id whose issue time was changed', () => {
    const id = signer.issue({ elicitation: false }).id;
    const parts = id.split('.');
    parts[3] = (parseInt(parts[3]!, 36) + 86_400).toString(36);
    expect(signer.verify(parts.join('.'))).toBeUndefined();
  });

  it('issues a different id each time, in visible ASCII', () => {
    const a = signer.issue({ elicitation: false }).id;
    const b = signer.issue({ elicitation: false }).id;
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[\x21-\x7e]+$/);
  });

  it.each([
    ['a made-up id', 'my-own-session'],
    ['an empty id', ''],
    ['an id with extra parts', 'a.b.c.d'],
  ])('refuses %s', (_label, id) => {
    expect(signer.verify(id)).toBeUndefined();
  });

  it('refuses an id whose flags were changed', () => {
    const id = signer.issue({ elicitation: false }).id;
    expect(signer.verify(id.replace('.-.', '.e.'))).toBeUndefined();
  });

  it('refuses an id signed with another secret', () => {
    const other = new SessionIdSigner('another-secret-of-enough-length');
    expect(signer.verify(other.issue({ elicitation: true }).id)).toBeUndefined();
  });

  it('requires a secret of at least 16 characters', () => {
    expect(() => new SessionIdSigner('short')).toThrow(/at least 16/);
  });
});

describe('SessionIdSigner with a principal', () => {
  const signer = new SessionIdSigner('a-secret-of-enough-length');
  const tag = 'AbCdEfGhIjKlMnOpQrStUv';

  it('binds the id to the principal tag it was issued for', () => {
    expect(signer.verify(signer.issue({ elicitation: false, principalTag: tag }).id)).toEqual({
      elicitation: false,
      principalTag: tag,
      issuedAt: expect.any(Number),
    });
  });

  it('refuses an id whose principal tag was changed', () => {
    const id = signer.issue({ elicitation: false, principalTag: tag }).id;
    expect(signer.verify(id.replace(tag, 'ZbCdEfGhIjKlMnOpQrStUv'))).toBeUndefined();
    expect(signer.verify(id.replace(`.${tag}.`, '.-.'))).toBeUndefined();
  });
});
