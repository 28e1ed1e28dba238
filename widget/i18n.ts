// Built-in texts. `lang` picks a locale (falling back by language, then to English); `strings` overrides any key.
// Every text's key, one a line, in the order each locale lists its texts: the bundle holds each key once
// instead of once per locale.
import type { WidgetErrorCode } from '../media/errors.ts';

const KEYS = `title
choose
takePhoto
camera
shutter
retake
usePhoto
cameraStarting
cameraDenied
cameraMissing
cameraFailed
dropHint
current
none
remove
save
cancel
retry
resumePrompt
resume
discard
zoom
rotateLeft
rotateRight
rotation
straighten
flip
flipped
notFlipped
reset
cropReset
moved
cropArea
preview
processing
uploading
waiting
saved
removed
willRetryOnline
errorType
errorSize
errorDecode
errorOffline
errorAuth
errorServer
emoteTitle
emoteChoose
emoteCropArea
square
shortcode
shortcodeHint
shortcodeInvalid
shortcodeTaken
shortcodeFree
makePublic
upload
yourEmotes
noEmotes
trash
restore
delete
quota
emoteCreated
emoteDeleted
emoteRestored
emoteUpdated
renameLabel
publicLabel
progress
photoTab
cartoonTab
randomize
noOption
errorConfig
errorRateLimited
topType
accessoriesType
hairColor
hatColor
facialHairType
facialHairColor
clotheType
clotheColor
graphicType
eyeType
eyebrowType
mouthType
skinColor
background
frame
errorCors
errorQuota
loading
errorUnreachable
errorFrames
errorTooLarge
undo
avatarRestored
smallPhoto
errorComplex
errorSuperseded
errorStorage
errorGone
errorNotReady
errorUpload
errorNotOwner
errorInUse
errorErased
recent
recentPhoto
recentCartoon
recentDelete
recentDeleted
locale`;
type Lines<S extends string, Found = never> = S extends `${infer Line}\n${infer Rest}` ? Lines<Rest, Found | Line> : Found | S;
export type StringKey = Lines<typeof KEYS>;
export type Strings = Record<StringKey, string>;

// Each locale lists its texts in the order of KEYS, one a line with its key in a comment.
// test/widget/i18n.test.ts checks that every locale has one text per key with the same {placeholders}.
type Translation = readonly string[];

const en: Translation = [
  'Profile picture', // title
  'Choose a photo', // choose
  'Take a photo', // takePhoto
  'Camera', // camera
  'Take photo', // shutter
  'Retake', // retake
  'Use photo', // usePhoto
  'Starting the camera…', // cameraStarting
  'Camera access is blocked. Allow it in your browser’s site settings, or choose a photo instead.', // cameraDenied
  'No camera was found. Connect one, or choose a photo instead.', // cameraMissing
  'The camera could not be started. Another app may be using it.', // cameraFailed
  'or drop an image here, or paste one', // dropHint
  'Current profile picture', // current
  'No profile picture yet', // none
  'Remove', // remove
  'Save', // save
  'Cancel', // cancel
  'Try again', // retry
  'You have an unsaved photo from earlier.', // resumePrompt
  'Resume', // resume
  'Discard', // discard
  'Zoom', // zoom
  'Rotate left', // rotateLeft
  'Rotate right', // rotateRight
  'Rotation', // rotation
  'Straighten', // straighten
  'Flip horizontally', // flip
  'Flipped', // flipped
  'Not flipped', // notFlipped
  'Reset', // reset
  'Crop reset.', // cropReset
  'Crop moved.', // moved
  'Crop area. Drag or use the arrow keys to move, + and - to zoom, [ and ] to rotate, 0 to reset.', // cropArea
  'Preview', // preview
  'Preparing your photo…', // processing
  'Uploading…', // uploading
  'Almost done…', // waiting
  'Profile picture saved.', // saved
  'Profile picture removed.', // removed
  'You are offline. The upload will continue when you are back online.', // willRetryOnline
  'This file type is not supported. Choose a JPEG, PNG, GIF, WebP or AVIF image.', // errorType
  'This file is too large (at most {max}).', // errorSize
  'This file is not a usable image.', // errorDecode
  'You are offline. Check your connection.', // errorOffline
  'Your session has expired. Reload the page.', // errorAuth
  'Something went wrong. Try again later.', // errorServer
  'Emotes', // emoteTitle
  'Choose an image', // emoteChoose
  'Crop area. Drag or use the arrow keys to move, + and - to zoom, 0 to reset.', // emoteCropArea
  'Square', // square
  'Shortcode', // shortcode
  '2 to 32 letters, digits or underscores', // shortcodeHint
  'Use 2 to 32 letters, digits or underscores.', // shortcodeInvalid
  'You already have :{shortcode}:.', // shortcodeTaken
  ':{shortcode}: is available.', // shortcodeFree
  'Public (anyone can use it)', // makePublic
  'Upload emote', // upload
  'Your emotes', // yourEmotes
  'No emotes yet.', // noEmotes
  'Trash', // trash
  'Restore', // restore
  'Delete', // delete
  '{count} of {max} emotes, {used} of {maxBytes}', // quota
  ':{shortcode}: is ready.', // emoteCreated
  ':{shortcode}: moved to the trash.', // emoteDeleted
  ':{shortcode}: restored.', // emoteRestored
  ':{shortcode}: updated.', // emoteUpdated
  'Shortcode of {name}', // renameLabel
  '{name} is public', // publicLabel
  'Upload progress', // progress
  'Photo', // photoTab
  'Cartoon', // cartoonTab
  'Randomize', // randomize
  'None', // noOption
  'Some options are no longer available. Reload the page.', // errorConfig
  'Too many changes. Try again in a minute.', // errorRateLimited
  'Hair or hat', // topType
  'Accessories', // accessoriesType
  'Hair color', // hairColor
  'Hat color', // hatColor
  'Facial hair', // facialHairType
  'Facial hair color', // facialHairColor
  'Clothes', // clotheType
  'Clothes color', // clotheColor
  'Shirt print', // graphicType
  'Eyes', // eyeType
  'Eyebrows', // eyebrowType
  'Mouth', // mouthType
  'Skin', // skinColor
  'Background', // background
  'Frame', // frame
  'This site may not use the avatar server.', // errorCors
  'You have too many emotes.', // errorQuota
  'Loading…', // loading
  'The avatar service is not answering. Try again in a moment.', // errorUnreachable
  'This animation has {frames} frames; at most {maxFrames} are allowed.', // errorFrames
  'This image is too large to process (too many pixels or frames).', // errorTooLarge
  'Undo', // undo
  'Profile picture restored.', // avatarRestored
  'This photo is small ({size} × {size} px): it will look blurry.', // smallPhoto
  'This image is saved in an unusual way. Save it again as an ordinary JPEG or PNG and try again.', // errorComplex
  'A newer profile picture was saved in the meantime; that one is shown.', // errorSuperseded
  'The image storage cannot be reached right now. Try again in a few minutes.', // errorStorage
  'This no longer exists: it was removed in the meantime. Reload the page.', // errorGone
  'This is still being processed. Try again in a moment.', // errorNotReady
  'The upload did not arrive complete. Try again.', // errorUpload
  'Only the person who added this emote can change it.', // errorNotOwner
  'This is your avatar right now: choose another one first.', // errorInUse
  'Your pictures were just deleted with your account’s data. Try again in a few minutes.', // errorErased
  'Recent', // recent
  'Use this photo', // recentPhoto
  'Use this cartoon', // recentCartoon
  'Delete this picture', // recentDelete
  'Picture deleted.', // recentDeleted
  'en', // locale
];

const de: Translation = [
  'Profilbild', // title
  'Foto auswählen', // choose
  'Foto aufnehmen', // takePhoto
  'Kamera', // camera
  'Auslösen', // shutter
  'Neu aufnehmen', // retake
  'Foto verwenden', // usePhoto
  'Kamera wird gestartet…', // cameraStarting
  'Der Kamerazugriff ist blockiert. Erlaube ihn in den Website-Einstellungen deines Browsers oder wähle stattdessen ein Foto.', // cameraDenied
  'Keine Kamera gefunden. Schließe eine an oder wähle stattdessen ein Foto.', // cameraMissing
  'Die Kamera ließ sich nicht starten. Vielleicht nutzt sie gerade eine andere App.', // cameraFailed
  'oder Bild hierher ziehen oder einfügen', // dropHint
  'Aktuelles Profilbild', // current
  'Noch kein Profilbild', // none
  'Entfernen', // remove
  'Speichern', // save
  'Abbrechen', // cancel
  'Erneut versuchen', // retry
  'Du hast ein ungespeichertes Foto von vorhin.', // resumePrompt
  'Fortsetzen', // resume
  'Verwerfen', // discard
  'Zoom', // zoom
  'Nach links drehen', // rotateLeft
  'Nach rechts drehen', // rotateRight
  'Drehung', // rotation
  'Begradigen', // straighten
  'Horizontal spiegeln', // flip
  'Gespiegelt', // flipped
  'Nicht gespiegelt', // notFlipped
  'Zurücksetzen', // reset
  'Zuschnitt zurückgesetzt.', // cropReset
  'Zuschnitt verschoben.', // moved
  'Zuschnitt. Ziehen oder Pfeiltasten verschieben, + und - zoomen, [ und ] drehen, 0 setzt zurück.', // cropArea
  'Vorschau', // preview
  'Foto wird vorbereitet…', // processing
  'Wird hochgeladen…', // uploading
  'Gleich fertig…', // waiting
  'Profilbild gespeichert.', // saved
  'Profilbild entfernt.', // removed
  'Du bist offline. Der Upload wird fortgesetzt, sobald du wieder online bist.', // willRetryOnline
  'Dieser Dateityp wird nicht unterstützt. Wähle ein JPEG-, PNG-, GIF-, WebP- oder AVIF-Bild.', // errorType
  'Die Datei ist zu groß (höchstens {max}).', // errorSize
  'Diese Datei ist kein nutzbares Bild.', // errorDecode
  'Du bist offline. Prüfe deine Verbindung.', // errorOffline
  'Deine Sitzung ist abgelaufen. Lade die Seite neu.', // errorAuth
  'Etwas ist schiefgelaufen. Versuche es später.', // errorServer
  'Emotes', // emoteTitle
  'Bild auswählen', // emoteChoose
  'Zuschnitt. Ziehen oder Pfeiltasten verschieben, + und - zoomen, 0 setzt zurück.', // emoteCropArea
  'Quadratisch', // square
  'Kürzel', // shortcode
  '2 bis 32 Buchstaben, Ziffern oder Unterstriche', // shortcodeHint
  'Nutze 2 bis 32 Buchstaben, Ziffern oder Unterstriche.', // shortcodeInvalid
  'Du hast schon :{shortcode}:.', // shortcodeTaken
  ':{shortcode}: ist frei.', // shortcodeFree
  'Öffentlich (alle dürfen es nutzen)', // makePublic
  'Emote hochladen', // upload
  'Deine Emotes', // yourEmotes
  'Noch keine Emotes.', // noEmotes
  'Papierkorb', // trash
  'Wiederherstellen', // restore
  'Löschen', // delete
  '{count} von {max} Emotes, {used} von {maxBytes}', // quota
  ':{shortcode}: ist bereit.', // emoteCreated
  ':{shortcode}: liegt im Papierkorb.', // emoteDeleted
  ':{shortcode}: wiederhergestellt.', // emoteRestored
  ':{shortcode}: geändert.', // emoteUpdated
  'Kürzel von {name}', // renameLabel
  '{name} ist öffentlich', // publicLabel
  'Upload-Fortschritt', // progress
  'Foto', // photoTab
  'Cartoon', // cartoonTab
  'Zufällig', // randomize
  'Keine', // noOption
  'Einige Optionen gibt es nicht mehr. Lade die Seite neu.', // errorConfig
  'Zu viele Änderungen. Warte bitte eine Minute.', // errorRateLimited
  'Frisur oder Hut', // topType
  'Accessoires', // accessoriesType
  'Haarfarbe', // hairColor
  'Hutfarbe', // hatColor
  'Bart', // facialHairType
  'Bartfarbe', // facialHairColor
  'Kleidung', // clotheType
  'Kleidungsfarbe', // clotheColor
  'Shirt-Motiv', // graphicType
  'Augen', // eyeType
  'Augenbrauen', // eyebrowType
  'Mund', // mouthType
  'Haut', // skinColor
  'Hintergrund', // background
  'Rahmen', // frame
  'Diese Seite darf den Avatar-Server nicht nutzen.', // errorCors
  'Du hast zu viele Emotes.', // errorQuota
  'Wird geladen…', // loading
  'Der Avatar-Dienst antwortet nicht. Versuche es gleich noch einmal.', // errorUnreachable
  'Diese Animation hat {frames} Einzelbilder; höchstens {maxFrames} sind erlaubt.', // errorFrames
  'Dieses Bild ist zu groß zum Verarbeiten (zu viele Pixel oder Einzelbilder).', // errorTooLarge
  'Rückgängig', // undo
  'Profilbild wiederhergestellt.', // avatarRestored
  'Dieses Foto ist klein ({size} × {size} px) und wird unscharf aussehen.', // smallPhoto
  'Dieses Bild ist ungewöhnlich gespeichert. Speichere es erneut als normales JPEG oder PNG und versuche es noch einmal.', // errorComplex
  'Inzwischen wurde ein neueres Profilbild gespeichert; dieses wird angezeigt.', // errorSuperseded
  'Der Bildspeicher ist gerade nicht erreichbar. Versuche es in ein paar Minuten noch einmal.', // errorStorage
  'Das gibt es nicht mehr: Es wurde inzwischen entfernt. Lade die Seite neu.', // errorGone
  'Das wird noch verarbeitet. Versuche es gleich noch einmal.', // errorNotReady
  'Der Upload ist nicht vollständig angekommen. Versuche es noch einmal.', // errorUpload
  'Nur wer dieses Emote hinzugefügt hat, kann es ändern.', // errorNotOwner
  'Das ist gerade dein Profilbild: Wähle zuerst ein anderes.', // errorInUse
  'Deine Bilder wurden eben mit den Daten deines Kontos gelöscht. Versuche es in ein paar Minuten erneut.', // errorErased
  'Zuletzt verwendet', // recent
  'Dieses Foto verwenden', // recentPhoto
  'Diesen Cartoon verwenden', // recentCartoon
  'Dieses Bild löschen', // recentDelete
  'Bild gelöscht.', // recentDeleted
  'de', // locale
];

const fr: Translation = [
  'Photo de profil', // title
  'Choisir une photo', // choose
  'Prendre une photo', // takePhoto
  'Caméra', // camera
  'Prendre la photo', // shutter
  'Reprendre', // retake
  'Utiliser la photo', // usePhoto
  'Démarrage de la caméra…', // cameraStarting
  'L’accès à la caméra est bloqué. Autorisez-le dans les paramètres du site de votre navigateur, ou choisissez plutôt une photo.', // cameraDenied
  'Aucune caméra trouvée. Branchez-en une, ou choisissez plutôt une photo.', // cameraMissing
  'Impossible de démarrer la caméra. Une autre application l’utilise peut-être.', // cameraFailed
  'ou déposez une image ici, ou collez-la', // dropHint
  'Photo de profil actuelle', // current
  'Pas encore de photo de profil', // none
  'Supprimer', // remove
  'Enregistrer', // save
  'Annuler', // cancel
  'Réessayer', // retry
  'Vous avez une photo non enregistrée.', // resumePrompt
  'Reprendre', // resume
  'Abandonner', // discard
  'Zoom', // zoom
  'Pivoter à gauche', // rotateLeft
  'Pivoter à droite', // rotateRight
  'Rotation', // rotation
  'Redresser', // straighten
  'Retourner horizontalement', // flip
  'Retourné', // flipped
  'Non retourné', // notFlipped
  'Réinitialiser', // reset
  'Cadrage réinitialisé.', // cropReset
  'Cadrage déplacé.', // moved
  'Zone de cadrage. Glissez ou utilisez les flèches pour déplacer, + et - pour zoomer, [ et ] pour pivoter, 0 pour réinitialiser.', // cropArea
  'Aperçu', // preview
  'Préparation de la photo…', // processing
  'Envoi…', // uploading
  'Presque terminé…', // waiting
  'Photo de profil enregistrée.', // saved
  'Photo de profil supprimée.', // removed
  'Vous êtes hors ligne. L’envoi reprendra dès le retour de la connexion.', // willRetryOnline
  'Ce type de fichier n’est pas pris en charge. Choisissez une image JPEG, PNG, GIF, WebP ou AVIF.', // errorType
  'Ce fichier est trop volumineux (au plus {max}).', // errorSize
  'Ce fichier n’est pas une image utilisable.', // errorDecode
  'Vous êtes hors ligne. Vérifiez votre connexion.', // errorOffline
  'Votre session a expiré. Rechargez la page.', // errorAuth
  'Une erreur est survenue. Réessayez plus tard.', // errorServer
  'Emotes', // emoteTitle
  'Choisir une image', // emoteChoose
  'Zone de cadrage. Glissez ou utilisez les flèches pour déplacer, + et - pour zoomer, 0 pour réinitialiser.', // emoteCropArea
  'Carré', // square
  'Code court', // shortcode
  '2 à 32 lettres, chiffres ou tirets bas', // shortcodeHint
  'Utilisez 2 à 32 lettres, chiffres ou tirets bas.', // shortcodeInvalid
  'Vous avez déjà :{shortcode}:.', // shortcodeTaken
  ':{shortcode}: est disponible.', // shortcodeFree
  'Public (tout le monde peut l’utiliser)', // makePublic
  'Envoyer l’emote', // upload
  'Vos emotes', // yourEmotes
  'Pas encore d’emotes.', // noEmotes
  'Corbeille', // trash
  'Restaurer', // restore
  'Supprimer', // delete
  '{count} sur {max} emotes, {used} sur {maxBytes}', // quota
  ':{shortcode}: est prête.', // emoteCreated
  ':{shortcode}: est dans la corbeille.', // emoteDeleted
  ':{shortcode}: restaurée.', // emoteRestored
  ':{shortcode}: modifiée.', // emoteUpdated
  'Code court de {name}', // renameLabel
  '{name} est publique', // publicLabel
  'Progression de l’envoi', // progress
  'Photo', // photoTab
  'Dessin', // cartoonTab
  'Au hasard', // randomize
  'Aucun', // noOption
  'Certaines options n’existent plus. Rechargez la page.', // errorConfig
  'Trop de modifications. Réessayez dans une minute.', // errorRateLimited
  'Coiffure ou chapeau', // topType
  'Accessoires', // accessoriesType
  'Couleur des cheveux', // hairColor
  'Couleur du chapeau', // hatColor
  'Barbe', // facialHairType
  'Couleur de la barbe', // facialHairColor
  'Vêtements', // clotheType
  'Couleur des vêtements', // clotheColor
  'Motif du t-shirt', // graphicType
  'Yeux', // eyeType
  'Sourcils', // eyebrowType
  'Bouche', // mouthType
  'Peau', // skinColor
  'Arrière-plan', // background
  'Cadre', // frame
  'Ce site ne peut pas utiliser le serveur d’avatars.', // errorCors
  'Vous avez trop d’emotes.', // errorQuota
  'Chargement…', // loading
  'Le service d’avatars ne répond pas. Réessayez dans un instant.', // errorUnreachable
  'Cette animation compte {frames} images ; {maxFrames} au plus sont autorisées.', // errorFrames
  'Cette image est trop grande pour être traitée (trop de pixels ou d’images).', // errorTooLarge
  'Annuler', // undo
  'Photo de profil rétablie.', // avatarRestored
  'Cette photo est petite ({size} × {size} px) : elle sera floue.', // smallPhoto
  'Cette image est enregistrée de façon inhabituelle. Enregistrez-la à nouveau en JPEG ou PNG ordinaire, puis réessayez.', // errorComplex
  'Une photo de profil plus récente a été enregistrée entre-temps ; c’est elle qui est affichée.', // errorSuperseded
  'Le stockage des images est injoignable pour le moment. Réessayez dans quelques minutes.', // errorStorage
  'Cet élément n’existe plus : il a été supprimé entre-temps. Rechargez la page.', // errorGone
  'Le traitement est encore en cours. Réessayez dans un instant.', // errorNotReady
  'Le téléversement n’est pas arrivé complet. Réessayez.', // errorUpload
  'Seule la personne qui a ajouté cet emote peut le modifier.', // errorNotOwner
  'C’est votre avatar en ce moment : choisissez-en d’abord un autre.', // errorInUse
  'Vos images viennent d’être supprimées avec les données de votre compte. Réessayez dans quelques minutes.', // errorErased
  'Récents', // recent
  'Utiliser cette photo', // recentPhoto
  'Utiliser ce dessin', // recentCartoon
  'Supprimer cette image', // recentDelete
  'Image supprimée.', // recentDeleted
  'fr', // locale
];

const es: Translation = [
  'Foto de perfil', // title
  'Elegir una foto', // choose
  'Hacer una foto', // takePhoto
  'Cámara', // camera
  'Hacer la foto', // shutter
  'Repetir', // retake
  'Usar la foto', // usePhoto
  'Iniciando la cámara…', // cameraStarting
  'El acceso a la cámara está bloqueado. Permítelo en la configuración del sitio de tu navegador o elige una foto.', // cameraDenied
  'No se encontró ninguna cámara. Conecta una o elige una foto.', // cameraMissing
  'No se pudo iniciar la cámara. Puede que otra aplicación la esté usando.', // cameraFailed
  'o suelta una imagen aquí, o pégala', // dropHint
  'Foto de perfil actual', // current
  'Aún no hay foto de perfil', // none
  'Quitar', // remove
  'Guardar', // save
  'Cancelar', // cancel
  'Reintentar', // retry
  'Tienes una foto sin guardar de antes.', // resumePrompt
  'Continuar', // resume
  'Descartar', // discard
  'Zoom', // zoom
  'Girar a la izquierda', // rotateLeft
  'Girar a la derecha', // rotateRight
  'Rotación', // rotation
  'Enderezar', // straighten
  'Voltear horizontalmente', // flip
  'Volteada', // flipped
  'Sin voltear', // notFlipped
  'Restablecer', // reset
  'Recorte restablecido.', // cropReset
  'Recorte movido.', // moved
  'Área de recorte. Arrastra o usa las flechas para mover, + y - para ampliar, [ y ] para girar, 0 para restablecer.', // cropArea
  'Vista previa', // preview
  'Preparando tu foto…', // processing
  'Subiendo…', // uploading
  'Casi listo…', // waiting
  'Foto de perfil guardada.', // saved
  'Foto de perfil quitada.', // removed
  'Estás sin conexión. La subida continuará cuando vuelvas a estar en línea.', // willRetryOnline
  'Este tipo de archivo no es compatible. Elige una imagen JPEG, PNG, GIF, WebP o AVIF.', // errorType
  'El archivo es demasiado grande (como máximo {max}).', // errorSize
  'Este archivo no es una imagen válida.', // errorDecode
  'Estás sin conexión. Revisa tu conexión.', // errorOffline
  'Tu sesión ha caducado. Recarga la página.', // errorAuth
  'Algo salió mal. Inténtalo más tarde.', // errorServer
  'Emotes', // emoteTitle
  'Elegir una imagen', // emoteChoose
  'Área de recorte. Arrastra o usa las flechas para mover, + y - para ampliar, 0 para restablecer.', // emoteCropArea
  'Cuadrado', // square
  'Código', // shortcode
  'De 2 a 32 letras, dígitos o guiones bajos', // shortcodeHint
  'Usa de 2 a 32 letras, dígitos o guiones bajos.', // shortcodeInvalid
  'Ya tienes :{shortcode}:.', // shortcodeTaken
  ':{shortcode}: está disponible.', // shortcodeFree
  'Público (cualquiera puede usarlo)', // makePublic
  'Subir emote', // upload
  'Tus emotes', // yourEmotes
  'Aún no hay emotes.', // noEmotes
  'Papelera', // trash
  'Restaurar', // restore
  'Eliminar', // delete
  '{count} de {max} emotes, {used} de {maxBytes}', // quota
  ':{shortcode}: está listo.', // emoteCreated
  ':{shortcode}: está en la papelera.', // emoteDeleted
  ':{shortcode}: restaurado.', // emoteRestored
  ':{shortcode}: actualizado.', // emoteUpdated
  'Código de {name}', // renameLabel
  '{name} es público', // publicLabel
  'Progreso de la subida', // progress
  'Foto', // photoTab
  'Dibujo', // cartoonTab
  'Al azar', // randomize
  'Ninguno', // noOption
  'Algunas opciones ya no existen. Recarga la página.', // errorConfig
  'Demasiados cambios. Espera un minuto.', // errorRateLimited
  'Peinado o sombrero', // topType
  'Accesorios', // accessoriesType
  'Color del pelo', // hairColor
  'Color del sombrero', // hatColor
  'Vello facial', // facialHairType
  'Color del vello facial', // facialHairColor
  'Ropa', // clotheType
  'Color de la ropa', // clotheColor
  'Estampado', // graphicType
  'Ojos', // eyeType
  'Cejas', // eyebrowType
  'Boca', // mouthType
  'Piel', // skinColor
  'Fondo', // background
  'Marco', // frame
  'Este sitio no puede usar el servidor de avatares.', // errorCors
  'Tienes demasiados emotes.', // errorQuota
  'Cargando…', // loading
  'El servicio de avatares no responde. Inténtalo de nuevo en un momento.', // errorUnreachable
  'Esta animación tiene {frames} fotogramas; se permiten como máximo {maxFrames}.', // errorFrames
  'Esta imagen es demasiado grande para procesarla (demasiados píxeles o fotogramas).', // errorTooLarge
  'Deshacer', // undo
  'Foto de perfil restaurada.', // avatarRestored
  'Esta foto es pequeña ({size} × {size} px): se verá borrosa.', // smallPhoto
  'Esta imagen está guardada de una forma poco habitual. Guárdala de nuevo como JPEG o PNG normal e inténtalo otra vez.', // errorComplex
  'Mientras tanto se guardó una foto de perfil más reciente; es la que se muestra.', // errorSuperseded
  'El almacenamiento de imágenes no está disponible ahora mismo. Inténtalo de nuevo en unos minutos.', // errorStorage
  'Esto ya no existe: se eliminó mientras tanto. Recarga la página.', // errorGone
  'Todavía se está procesando. Inténtalo de nuevo en un momento.', // errorNotReady
  'La subida no llegó completa. Inténtalo de nuevo.', // errorUpload
  'Solo quien añadió este emote puede cambiarlo.', // errorNotOwner
  'Es tu avatar ahora mismo: elige primero otro.', // errorInUse
  'Tus imágenes se acaban de eliminar con los datos de tu cuenta. Inténtalo de nuevo en unos minutos.', // errorErased
  'Recientes', // recent
  'Usar esta foto', // recentPhoto
  'Usar este dibujo', // recentCartoon
  'Eliminar esta imagen', // recentDelete
  'Imagen eliminada.', // recentDeleted
  'es', // locale
];

const keys = KEYS.split('\n') as StringKey[];
const locale = (texts: Translation) => Object.fromEntries(keys.map((key, i) => [key, texts[i]!])) as Strings;

/** The lists as written, for the test that checks their length. */
export const TRANSLATIONS: Record<string, Translation> = { en, de, fr, es };
/** Each locale's texts by key, made the first time they are asked for (a page shows one locale, at load too). */
export const LOCALES = {} as Record<string, Strings>;
for (const [tag, texts] of Object.entries(TRANSLATIONS)) {
  let made: Strings | undefined;
  Object.defineProperty(LOCALES, tag, { enumerable: true, get: () => (made ??= locale(texts)) });
}

/** Texts for `lang` (e.g. "de-AT" → de), with `overrides` applied on top. */
export function stringsFor(lang: string | undefined, overrides: Partial<Strings> = {}): Strings {
  const tag = (lang ?? '').toLowerCase();
  const base = LOCALES[tag] ?? LOCALES[tag.split('-')[0] ?? ''] ?? LOCALES.en!;
  return Object.keys(overrides).length ? { ...base, ...overrides } : base;
}

// Every error code the widget may receive (media/errors.ts: all but the admin API's) and its own, grouped under the
// texts that word them; an unknown code (a newer server's, HTTP_502 from a proxy) reads as errorServer. The
// technical message stays in the avatar-error event and the console.
type ClientErrorCode = 'NETWORK_ERROR' | 'CORS_REFUSED';
const ERROR_TEXTS = [
  ['errorAuth', ['UNAUTHENTICATED', 'FORBIDDEN']],
  ['errorUnreachable', ['AUTH_UNAVAILABLE']],
  ['errorType', ['UNSUPPORTED_MEDIA_TYPE']],
  ['errorSize', ['FILE_TOO_LARGE']],
  ['errorDecode', ['IMAGE_INVALID', 'CROP_INVALID', 'RECROP_INVALID', 'MULTIPART_INVALID']],
  ['errorTooLarge', ['IMAGE_TOO_LARGE']],
  ['errorComplex', ['IMAGE_TOO_COMPLEX']],
  ['errorUpload', ['UPLOAD_URL_INVALID', 'UPLOAD_URL_EXPIRED', 'UPLOAD_ALREADY_RECEIVED', 'UPLOAD_NOT_RECEIVED', 'SIZE_MISMATCH']],
  ['errorGone', ['FILE_NOT_FOUND', 'AVATAR_NOT_FOUND', 'EMOTE_NOT_FOUND', 'CARTOON_NOT_FOUND']],
  ['errorInUse', ['FILE_IN_USE', 'CARTOON_IN_USE']],
  ['errorErased', ['USER_ERASED']],
  ['errorNotReady', ['FILE_NOT_READY', 'AVATAR_NOT_READY', 'EMOTE_NOT_READY']],
  ['errorSuperseded', ['AVATAR_SUPERSEDED']],
  ['errorStorage', ['STORAGE_UNAVAILABLE']],
  ['shortcodeInvalid', ['SHORTCODE_INVALID']],
  ['shortcodeTaken', ['SHORTCODE_TAKEN']],
  ['errorQuota', ['EMOTE_QUOTA_EXCEEDED']],
  ['errorNotOwner', ['EMOTE_NOT_OWNER']],
  ['errorRateLimited', ['RATE_LIMITED']],
  ['errorConfig', ['INVALID_AVATAR_CONFIG']],
  ['errorOffline', ['NETWORK_ERROR']],
  ['errorCors', ['CORS_REFUSED']],
] as const satisfies ReadonlyArray<readonly [StringKey, ReadonlyArray<WidgetErrorCode | ClientErrorCode>]>;

/** Codes worded errorServer (the fallback): nothing the user can do but try again, a fault of ours or a proxy's. */
type ServerFault =
  | 'INTERNAL' | 'INVALID_REQUEST' | 'NOT_FOUND' | 'PAYLOAD_TOO_LARGE' | 'REQUEST_TIMEOUT' | 'URI_TOO_LONG' | 'HEADERS_TOO_LARGE'
  | 'FILE_NOT_PROFILE_PIC' | 'INVALID_SIZE' | 'AVATAR_NOT_RECROPPABLE' | 'INVALID_LIMIT' | 'INVALID_CURSOR' | 'URL_INVALID' | 'URL_EXPIRED';

/** Compiles only while every code the widget may receive has its words: above, or errorServer's. */
type EveryCodeWorded<Missing extends never> = Missing;
export type CodesWithoutWords = EveryCodeWorded<Exclude<WidgetErrorCode, (typeof ERROR_TEXTS)[number][1][number] | ServerFault>>;

/** The text key of an error code (errorServer for a code the widget does not know). */
export function errorTextKey(code: string): StringKey {
  return ERROR_TEXTS.find(([, codes]) => (codes as readonly string[]).includes(code))?.[0] ?? 'errorServer';
}

/** The user's words for an error `code`, in their language, with `values` filled in ({max}, {shortcode}). */
export function errorMessage(t: Strings, code: string, values: Record<string, string | number> = {}): string {
  return format(t[errorTextKey(code)], values);
}

/** Fills {name} placeholders. */
export function format(text: string, values: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}
