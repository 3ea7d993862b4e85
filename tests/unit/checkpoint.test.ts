import test from 'ava';
import { FIRST_CHECKPOINT, nextPage, readCheckpoint } from '../../crawler/connectors/bol/checkpoint.ts';
import { phoneKey } from '../../models/phone-key.ts';

test('a run walks FBR pages, then FBB pages, then ends', (t) => {
  const p2 = nextPage({ ...FIRST_CHECKPOINT, pending: [] });
  t.deepEqual(p2, { method: 'FBR', page: 2, pending: null, lastPage: false, ahead: null });
  const fbb = nextPage({ method: 'FBR', page: 2, pending: [], lastPage: true, ahead: null });
  t.deepEqual(fbb, { method: 'FBB', page: 1, pending: null, lastPage: false, ahead: null });
  t.is(nextPage({ method: 'FBB', page: 4, pending: [], lastPage: true, ahead: null }), null);
});

test('a page fetched ahead becomes the next step without being fetched again', (t) => {
  const next = nextPage({ method: 'FBR', page: 1, pending: [], lastPage: false, ahead: { pending: ['7', '8'], lastPage: true } });
  t.deepEqual(next, { method: 'FBR', page: 2, pending: ['7', '8'], lastPage: true, ahead: null });
});

test('no checkpoint is the first page; a corrupt one is refused rather than guessed', (t) => {
  t.deepEqual(readCheckpoint(null), FIRST_CHECKPOINT);
  t.deepEqual(readCheckpoint('{"method":"FBB","page":3,"pending":["1"],"lastPage":false}'), { method: 'FBB', page: 3, pending: ['1'], lastPage: false, ahead: null });
  t.throws(() => readCheckpoint({ method: 'ALL', page: 0 }));
});

test('phone numbers in any form share their last 9 digits', (t) => {
  t.is(phoneKey('+31 6 12345678'), '612345678');
  t.is(phoneKey('0612345678'), '612345678');
  t.is(phoneKey('"0534534534"'), '534534534');
  t.is(phoneKey('971534534534'), '534534534');
  t.is(phoneKey(null), null);
  t.is(phoneKey('0612345678', 8), '12345678', 'PHONE_KEY_DIGITS changes the rule for every source at once');
});
