// The built-in locales: every one has a text for every key, with the placeholders English has.
import { expect } from '@open-wc/testing';
import { ERRORS } from '../../media/errors.ts';
import { errorMessage, errorTextKey, LOCALES, stringsFor, TRANSLATIONS } from '../../widget/i18n.ts';

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

  it('words every error code the SPEC lists, and any other, in the user\'s language', () => {
    const codes =
      'UNAUTHENTICATED FORBIDDEN FILE_TOO_LARGE UNSUPPORTED_MEDIA_TYPE IMAGE_INVALID IMAGE_TOO_LARGE CROP_INVALID SHORTCODE_INVALID SHORTCODE_TAKEN EMOTE_QUOTA_EXCEEDED RATE_LIMITED UPLOAD_URL_EXPIRED UPLOAD_URL_INVALID SIZE_MISMATCH FILE_NOT_FOUND FILE_NOT_READY AVATAR_NOT_FOUND AVATAR_NOT_READY EMOTE_NOT_FOUND EMOTE_NOT_READY INVALID_AVATAR_CONFIG MULTIPART_INVALID STORAGE_UNAVAILABLE AUTH_UNAVAILABLE INTERNAL NETWORK_ERROR CORS_REFUSED HTTP_502 SOMETHING_NEW';
    const englishTexts = new Set(Object.values(en));
    for (const lang of ['de', 'fr', 'es']) {
      const t = stringsFor(lang);
      for (const code of codes.split(' ')) {
        const text = errorMessage(t, code, { max: '1 MB', shortcode: 'cat' });
        expect(englishTexts.has(text), `${lang} ${code} is not English`).to.equal(false);
        expect(text, `${lang} ${code}`).not.to.match(/[{}]|_/);
      }
    }
    const de = stringsFor('de');
    expect(errorMessage(de, 'INVALID_AVATAR_CONFIG')).to.equal(de.errorConfig);
    expect(errorMessage(de, 'UNAUTHENTICATED')).to.equal(de.errorAuth);
    expect(errorMessage(de, 'CORS_REFUSED')).to.equal(de.errorCors);
    expect(errorMessage(de, 'NETWORK_ERROR')).to.equal(de.errorOffline);
    expect(errorMessage(de, 'IMAGE_TOO_LARGE')).to.equal(de.errorTooLarge);
    expect(errorMessage(de, 'SHORTCODE_TAKEN', { shortcode: 'cat' })).to.equal('Du hast schon :cat:.');
    expect(errorMessage(de, 'INTERNAL')).to.equal(de.errorServer);
  });

  it('words every code of the server\'s catalogue the widget may receive, each in every language', () => {
    const codes = Object.entries(ERRORS).flatMap(([code, entry]) => ('admin' in entry ? [] : [code]));
    expect(codes).to.include.members(['IMAGE_TOO_COMPLEX', 'AVATAR_SUPERSEDED', 'STORAGE_UNAVAILABLE', 'UNAUTHENTICATED']);
    const englishTexts = new Set(Object.values(en));
    for (const lang of ['de', 'fr', 'es']) {
      const t = stringsFor(lang);
      for (const code of codes) {
        const text = errorMessage(t, code, { max: '1 MB', shortcode: 'cat' });
        expect(englishTexts.has(text), `${lang} ${code} is not English`).to.equal(false);
        expect(text, `${lang} ${code}`).not.to.match(/[{}]|_/);
      }
    }
    // The codes added last have words of their own, not the catch-all "something went wrong".
    for (const code of ['IMAGE_TOO_COMPLEX', 'AVATAR_SUPERSEDED', 'STORAGE_UNAVAILABLE']) expect(errorTextKey(code), code).not.to.equal('errorServer');
    expect(new Set(['IMAGE_TOO_COMPLEX', 'AVATAR_SUPERSEDED', 'STORAGE_UNAVAILABLE'].map(errorTextKey)).size).to.equal(3);
  });
});
