import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { RalmError } from '../../src/core/errors.js';
import { containsAnswer, exactMatch, f1 } from '../../src/eval/answers.js';
import { detectLanguage, loadSquad } from '../../src/eval/squad.js';
import { sharedPath } from '../helpers/shared.js';

const temporary = mkdtempSync(join(tmpdir(), 'ralm-eval-squad-'));
afterAll(() => rmSync(temporary, { recursive: true, force: true }));
let fileCount = 0;
function writeTemporary(content: string | Buffer, suffix = '.json'): string {
  const path = join(temporary, `file-${fileCount++}${suffix}`);
  writeFileSync(path, content);
  return path;
}

async function rejection(promise: Promise<unknown>): Promise<RalmError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RalmError) return error;
    throw error;
  }
  throw new Error('expected a RalmError');
}

describe('loadSquad on the shared datasets', () => {
  const squadPath = sharedPath('data', 'squad-v1.1', 'dev-v1.1.json.gz');
  const cmrcPath = sharedPath('data', 'cmrc2018', 'cmrc2018_dev.json.gz');

  it.skipIf(!squadPath)('SQuAD v1.1 dev: 48 articles, 2,067 paragraphs, 10,570 questions, English', async () => {
    const squad = await loadSquad(squadPath!);
    expect(squad.articles).toBe(48);
    expect(squad.documents.length).toBe(2067);
    expect(squad.queries.size).toBe(10570);
    expect(squad.qrels.size).toBe(10570);
    expect(squad.answers.size).toBe(10570);
    expect(squad.language).toBe('en');
    expect(squad.duplicateDocuments).toBe(0);
    expect(squad.documents[0]).toMatchObject({ id: '0-0', title: 'Super_Bowl_50' });
    expect(squad.documents[0].text.startsWith('Super Bowl 50 was an American football game')).toBe(true);
    expect(squad.queries.get('56be4db0acb8001400a502ec')).toBe('Which NFL team represented the AFC at Super Bowl 50?');
    expect(squad.qrels.get('56be4db0acb8001400a502ec')).toEqual(new Map([['0-0', 1]]));
    expect(squad.answers.get('56be4db0acb8001400a502ec')).toEqual(['Denver Broncos', 'Denver Broncos', 'Denver Broncos']);
    // Every question has exactly one relevant paragraph, and its first gold answer scores itself perfectly.
    const textOf = new Map(squad.documents.map((document) => [document.id, document.text]));
    let contained = 0;
    for (const [questionId, judgments] of squad.qrels) {
      expect(judgments.size).toBe(1);
      const golds = squad.answers.get(questionId)!;
      expect(exactMatch(golds[0], golds, 'en')).toBe(1);
      if (containsAnswer(textOf.get([...judgments.keys()][0])!, golds, 'en')) contained++;
    }
    // Answers are spans of their paragraph; a few start or end inside a word, so whole-token matching misses them.
    expect(contained / squad.qrels.size).toBeGreaterThan(0.98);
  });

  it.skipIf(!cmrcPath)('CMRC 2018 dev: 3,219 questions over 848 paragraphs, Chinese', async () => {
    const cmrc = await loadSquad(cmrcPath!);
    expect(cmrc.queries.size).toBe(3219);
    expect(cmrc.documents.length).toBe(848);
    expect(cmrc.articles).toBe(848);
    expect(cmrc.language).toBe('zh');
    expect(cmrc.duplicateDocuments).toBe(0);
    expect(cmrc.qrels.get('DEV_0_QUERY_0')).toEqual(new Map([['0-0', 1]]));
    expect(cmrc.answers.get('DEV_0_QUERY_0')?.[0]).toBe('光荣和ω-force');
    const textOf = new Map(cmrc.documents.map((document) => [document.id, document.text]));
    let contained = 0;
    for (const [questionId, judgments] of cmrc.qrels) {
      const golds = cmrc.answers.get(questionId)!;
      expect(f1(golds[0], golds, 'zh')).toBe(1);
      if (containsAnswer(textOf.get([...judgments.keys()][0])!, golds, 'zh')) contained++;
    }
    expect(contained / cmrc.qrels.size).toBeGreaterThan(0.99);
  });
});

describe('loadSquad on small files', () => {
  const sample = {
    version: '1.1',
    data: [
      {
        title: 'First',
        paragraphs: [
          { context: 'Same text.', qas: [{ id: 'q1', question: 'Which?', answers: [{ text: 'Same', answer_start: 0 }] }] },
          { context: 'Other text.', qas: [{ id: 'q2', question: 'What?', answers: [{ text: 'Other', answer_start: 0 }] }] },
        ],
      },
      { paragraphs: [{ context: 'Same text.', qas: [{ id: 'q3', question: 'Again?', answers: [] }] }] },
    ],
  };

  it('makes identical paragraphs separate documents, each relevant for the questions of all copies', async () => {
    const squad = await loadSquad(writeTemporary(gzipSync(Buffer.from(JSON.stringify(sample))), '.json.gz'));
    expect(squad.documents).toEqual([
      { id: '0-0', title: 'First', text: 'Same text.' },
      { id: '0-1', title: 'First', text: 'Other text.' },
      { id: '1-0', title: '', text: 'Same text.' },
    ]);
    expect(squad.qrels).toEqual(
      new Map([
        ['q1', new Map([['0-0', 1], ['1-0', 1]])],
        ['q2', new Map([['0-1', 1]])],
        ['q3', new Map([['0-0', 1], ['1-0', 1]])],
      ]),
    );
    expect(squad.duplicateDocuments).toBe(2);
    expect(squad.answers.get('q3')).toEqual([]);
    expect(squad.language).toBe('en');
  });

  it('takes the language from the options', async () => {
    expect((await loadSquad(writeTemporary(JSON.stringify(sample)), { language: 'zh' })).language).toBe('zh');
    expect(detectLanguage(['《战国无双3》是由光荣和ω-force开发的'])).toBe('zh');
    expect(detectLanguage(['Super Bowl 50 was an American football game', '一'])).toBe('en');
  });

  it('throws PARSE naming the file (and the line for malformed JSON)', async () => {
    const malformed = writeTemporary('{\n  "data": [\n    {"title": "x",, }\n  ]\n}\n');
    const syntax = await rejection(loadSquad(malformed));
    expect(syntax.code).toBe('PARSE');
    expect(syntax.file).toBe(malformed);
    expect(syntax.line).toBe(3);
    expect(syntax.message).toContain(malformed);

    const layouts = [
      { data: 'nope' },
      { data: [{ title: 'x' }] },
      { data: [{ paragraphs: [{ qas: [] }] }] },
      { data: [{ paragraphs: [{ context: 'c', qas: [{ id: 'q', answers: [] }] }] }] },
      { data: [{ paragraphs: [{ context: 'c', qas: [{ id: 'q', question: '?', answers: [{ answer_start: 0 }] }] }] }] },
      { data: [{ paragraphs: [{ context: 'c', qas: [{ id: 'q', question: '?', answers: [] }, { id: 'q', question: '!', answers: [] }] }] }] },
    ];
    for (const layout of layouts) {
      const path = writeTemporary(JSON.stringify(layout));
      const error = await rejection(loadSquad(path));
      expect(error.code).toBe('PARSE');
      expect(error.file).toBe(path);
      expect(error.message).toContain(path);
    }
    expect((await rejection(loadSquad(join(temporary, 'missing.json')))).code).toBe('NOT_FOUND');
  });
});
