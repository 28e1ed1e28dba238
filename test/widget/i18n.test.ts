// The built-in locales: every one has a text for every key, with the placeholders English has.
import { expect } from '@open-wc/testing';
import { errorMessage, LOCALES, stringsFor, TRANSLATIONS } from '../../widget/i18n.ts';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

describe('i18n', () => {
  const en = LOCALES.en!;
  for (const [lang, texts] of Object.entries(LOCALES)) {
    it(`${lang} has a non-empty text for every key, with English's placeholders`, () => {
      expect(Object.keys(texts)).to.deep.equal(Object.keys(en));
      for (const [key, text] of Object.entries(texts)) {
        expect(text, `${lang}.${key}`).to.be.a('string').and.not.equal('');
        expect(placeholders(text), `${lang}.${key}`).to.deep.equal(placeholders(en[key as keyof typeof en]));
      }
    });
  }

  for (const [lang, list] of Object.entries(TRANSLATIONS)) {
    it(`${lang} lists exactly one text per English key`, () => {
      expect(list.length).to.equal(Object.keys(en).length);
    });
  }

  it('lines each translation up with its key (spot checks across the list)', () => {
    expect([LOCALES.de!.title, LOCALES.de!.emoteTitle, LOCALES.de!.progress, LOCALES.de!.frame]).to.deep.equal(['Profilbild', 'Emotes', 'Upload-Fortschritt', 'Rahmen']);
    expect([LOCALES.fr!.choose, LOCALES.fr!.quota, LOCALES.fr!.hairColor]).to.deep.equal(['Choisir une photo', '{count} sur {max} emotes, {used} sur {maxBytes}', 'Couleur des cheveux']);
    expect([LOCALES.es!.cancel, LOCALES.es!.renameLabel, LOCALES.es!.background]).to.deep.equal(['Cancelar', 'Código de {name}', 'Fondo']);
  });

  it('falls back by language, then to English, and applies overrides', () => {
    expect(stringsFor('de-AT').save).to.equal('Speichern');
    expect(stringsFor('pt-BR').save).to.equal('Save');
    expect(stringsFor('fr', { save: 'OK' }).save).to.equal('OK');
  });

  it('words the errors the user can act on in their language, and keeps the server message otherwise', () => {
    const de = stringsFor('de');
    expect(errorMessage(de, 'INVALID_AVATAR_CONFIG', 'topType must be one of…')).to.equal(de.errorConfig);
    expect(errorMessage(de, 'NETWORK_ERROR', 'x')).to.equal('Die Verbindung ist fehlgeschlagen.');
    expect(errorMessage(de, 'RATE_LIMITED', 'x')).to.equal(de.errorRateLimited);
    expect(errorMessage(de, 'SOMETHING_ELSE', 'the server said so')).to.equal('the server said so');
  });
});
