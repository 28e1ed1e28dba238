// What the cartoon's option values are called in each language. The values are the server's (SPEC §3, config
// avatars), one a line in VALUES; each language lists the names in the same order, one a line. "Blank" reads as
// the texts' noOption; a value missing here (one the server adds later) reads as humanise(value).
// test/widget/cartoon-names.test.ts checks that every value the server lists has a name in every language.
const VALUES = `ShortHairShortFlat
NoHair
Eyepatch
Hat
Hijab
Turban
WinterHat1
WinterHat2
WinterHat3
WinterHat4
LongHairBigHair
LongHairBob
LongHairBun
LongHairCurly
LongHairCurvy
LongHairDreads
LongHairFrida
LongHairFro
LongHairFroBand
LongHairNotTooLong
LongHairShavedSides
LongHairMiaWallace
LongHairStraight
LongHairStraight2
LongHairStraightStrand
ShortHairDreads01
ShortHairDreads02
ShortHairFrizzle
ShortHairShaggyMullet
ShortHairShortCurly
ShortHairShortRound
ShortHairShortWaved
ShortHairSides
ShortHairTheCaesar
ShortHairTheCaesarSidePart
Kurt
Prescription01
Prescription02
Round
Sunglasses
Wayfarers
Medal01
Medal02
Medal03
Medal04
BrownDark
Auburn
Black
Blonde
BlondeGolden
Brown
PastelPink
Blue
Platinum
Red
SilverGray
Gray01
Blue01
Blue02
Blue03
Gray02
Heather
PastelBlue
PastelGreen
PastelOrange
PastelRed
PastelYellow
Pink
White
BeardMedium
BeardLight
BeardMajestic
MoustacheFancy
MoustacheMagnum
ShirtCrewNeck
BlazerShirt
BlazerSweater
CollarSweater
GraphicShirt
Hoodie
Overall
ShirtScoopNeck
ShirtVNeck
Skull
Bat
Cumbia
Deer
Diamond
Hola
Pizza
Resist
Selena
Bear
SkullOutline
Default
Close
Cry
Dizzy
EyeRoll
Happy
Hearts
Side
Squint
Surprised
Wink
WinkWacky
StarStruck01
StarStruck02
StarStruck03
StarStruck04
StarStruck05
StarStruck06
Angry
AngryNatural
DefaultNatural
FlatNatural
RaisedExcited
RaisedExcitedNatural
SadConcerned
SadConcernedNatural
UnibrowNatural
UpDown
UpDownNatural
Concerned
Disbelief
Eating
Grimace
Sad
ScreamOpen
Serious
Smile
Tongue
Twinkle
Vomit
Light
Tanned
Yellow
Pale
DarkBrown
white
sky
mint
peach
lavender
sand
Circle
RoundedSquare
Square
Hexagon`.split('\n');

const NAMES: Record<string, string> = {
  en: `Short, flat
No hair
Eyepatch
Hat
Hijab
Turban
Winter hat 1
Winter hat 2
Winter hat 3
Winter hat 4
Long, full
Bob
Bun
Long, curly
Long, wavy
Long dreadlocks
Frida
Afro
Afro with a headband
Shoulder length
Shaved sides
Mia Wallace
Long, straight
Long, straight 2
Long, with a strand
Short dreadlocks 1
Short dreadlocks 2
Frizzy
Shaggy mullet
Short, curly
Short, round
Short, wavy
Sides only
Caesar cut
Caesar cut, side part
Kurt glasses
Glasses 1
Glasses 2
Round glasses
Sunglasses
Wayfarers
Gold medal
Silver medal
Bronze medal
Blue medal
Dark brown
Auburn
Black
Blonde
Golden blonde
Brown
Pastel pink
Blue
Platinum
Red
Silver grey
Light grey
Sky blue
Mid blue
Navy
Grey
Heather grey
Pastel blue
Pastel green
Pastel orange
Pastel red
Pastel yellow
Pink
White
Medium beard
Light beard
Majestic beard
Fancy moustache
Magnum moustache
Crew-neck T-shirt
Blazer and shirt
Blazer and sweater
Sweater with a collar
T-shirt with a print
Hoodie
Overalls
Scoop-neck T-shirt
V-neck T-shirt
Skull
Bat
Cumbia
Deer
Diamond
Hola
Pizza
Resist
Selena
Bear
Skull outline
Default
Closed
Crying
Dizzy
Eye roll
Happy
Hearts
Looking aside
Squinting
Surprised
Wink
Wacky wink
Star-struck, yellow
Star-struck, pink
Star-struck, blue
Star-struck, green
Star-struck, purple
Star-struck, red
Angry
Angry, natural
Natural
Flat, natural
Raised
Raised, natural
Sad
Sad, natural
Unibrow
One up, one down
One up, one down, natural
Concerned
Disbelief
Eating
Grimace
Sad
Screaming
Serious
Smile
Tongue out
Smirk
Being sick
Light
Tanned
Yellow
Pale
Dark brown
White
Sky
Mint
Peach
Lavender
Sand
Circle
Rounded square
Square
Hexagon`,
  de: `Kurz, glatt
Glatze
Augenklappe
Hut
Hidschab
Turban
Wintermütze 1
Wintermütze 2
Wintermütze 3
Wintermütze 4
Lang, voluminös
Bob
Dutt
Lang, lockig
Lang, gewellt
Lange Dreadlocks
Frida
Afro
Afro mit Haarband
Schulterlang
Rasierte Seiten
Mia Wallace
Lang, glatt
Lang, glatt 2
Lang, mit Strähne
Kurze Dreadlocks 1
Kurze Dreadlocks 2
Kraus
Zotteliger Vokuhila
Kurz, lockig
Kurz, rund
Kurz, gewellt
Nur seitlich
Caesar-Schnitt
Caesar-Schnitt, Seitenscheitel
Kurt-Brille
Brille 1
Brille 2
Runde Brille
Sonnenbrille
Wayfarer
Goldmedaille
Silbermedaille
Bronzemedaille
Blaue Medaille
Dunkelbraun
Kastanienrot
Schwarz
Blond
Goldblond
Braun
Pastellrosa
Blau
Platinblond
Rot
Silbergrau
Hellgrau
Himmelblau
Mittelblau
Marineblau
Grau
Graumeliert
Pastellblau
Pastellgrün
Pastellorange
Pastellrot
Pastellgelb
Pink
Weiß
Mittlerer Bart
Leichter Bart
Prachtbart
Gezwirbelter Schnurrbart
Magnum-Schnurrbart
T-Shirt mit Rundhals
Sakko und Hemd
Sakko und Pullover
Pullover mit Kragen
T-Shirt mit Motiv
Kapuzenpulli
Latzhose
T-Shirt mit U-Ausschnitt
T-Shirt mit V-Ausschnitt
Totenkopf
Fledermaus
Cumbia
Hirsch
Diamant
Hola
Pizza
Resist
Selena
Bär
Totenkopf-Umriss
Standard
Geschlossen
Weinend
Schwindlig
Augenrollen
Fröhlich
Herzchen
Seitenblick
Zusammengekniffen
Überrascht
Zwinkern
Verrücktes Zwinkern
Sternenaugen, gelb
Sternenaugen, rosa
Sternenaugen, blau
Sternenaugen, grün
Sternenaugen, lila
Sternenaugen, rot
Wütend
Wütend, natürlich
Natürlich
Flach, natürlich
Hochgezogen
Hochgezogen, natürlich
Traurig
Traurig, natürlich
Monobraue
Eine hoch, eine runter
Eine hoch, eine runter, natürlich
Besorgt
Ungläubig
Kauend
Grimasse
Traurig
Schreiend
Ernst
Lächeln
Zunge raus
Schmunzeln
Übergeben
Hell
Gebräunt
Gelb
Blass
Dunkelbraun
Weiß
Himmelblau
Mint
Pfirsich
Lavendel
Sand
Kreis
Abgerundetes Quadrat
Quadrat
Sechseck`,
  fr: `Court, plat
Sans cheveux
Cache-œil
Chapeau
Hijab
Turban
Bonnet d’hiver 1
Bonnet d’hiver 2
Bonnet d’hiver 3
Bonnet d’hiver 4
Long, volumineux
Carré
Chignon
Long, bouclé
Long, ondulé
Longues dreadlocks
Frida
Afro
Afro avec bandeau
Mi-long
Côtés rasés
Mia Wallace
Long, lisse
Long, lisse 2
Long, avec une mèche
Dreadlocks courtes 1
Dreadlocks courtes 2
Frisé
Mulet hirsute
Court, bouclé
Court, arrondi
Court, ondulé
Sur les côtés
Coupe César
Coupe César, raie sur le côté
Lunettes Kurt
Lunettes 1
Lunettes 2
Lunettes rondes
Lunettes de soleil
Wayfarer
Médaille d’or
Médaille d’argent
Médaille de bronze
Médaille bleue
Brun foncé
Auburn
Noir
Blond
Blond doré
Brun
Rose pastel
Bleu
Platine
Rouge
Gris argenté
Gris clair
Bleu ciel
Bleu moyen
Bleu marine
Gris
Gris chiné
Bleu pastel
Vert pastel
Orange pastel
Rouge pastel
Jaune pastel
Rose
Blanc
Barbe moyenne
Barbe légère
Barbe majestueuse
Moustache en guidon
Moustache Magnum
T-shirt col rond
Blazer et chemise
Blazer et pull
Pull à col
T-shirt imprimé
Sweat à capuche
Salopette
T-shirt col échancré
T-shirt col V
Tête de mort
Chauve-souris
Cumbia
Cerf
Diamant
Hola
Pizza
Resist
Selena
Ours
Contour de tête de mort
Par défaut
Fermés
En pleurs
Étourdis
Yeux au ciel
Joyeux
Cœurs
Regard de côté
Plissés
Surpris
Clin d’œil
Clin d’œil loufoque
Yeux étoilés, jaunes
Yeux étoilés, roses
Yeux étoilés, bleus
Yeux étoilés, verts
Yeux étoilés, violets
Yeux étoilés, rouges
En colère
En colère, naturels
Naturels
Plats, naturels
Levés
Levés, naturels
Tristes
Tristes, naturels
Monosourcil
Un haut, un bas
Un haut, un bas, naturels
Inquiet
Incrédule
En train de manger
Grimace
Triste
Cri
Sérieuse
Sourire
Langue tirée
Petit sourire
Vomi
Claire
Bronzée
Jaune
Pâle
Brun foncé
Blanc
Ciel
Menthe
Pêche
Lavande
Sable
Cercle
Carré arrondi
Carré
Hexagone`,
  es: `Corto, liso
Sin pelo
Parche
Sombrero
Hiyab
Turbante
Gorro de invierno 1
Gorro de invierno 2
Gorro de invierno 3
Gorro de invierno 4
Largo, voluminoso
Melena corta
Moño
Largo, rizado
Largo, ondulado
Rastas largas
Frida
Afro
Afro con cinta
Media melena
Lados rapados
Mia Wallace
Largo, liso
Largo, liso 2
Largo, con mechón
Rastas cortas 1
Rastas cortas 2
Encrespado
Mullet despeinado
Corto, rizado
Corto, redondeado
Corto, ondulado
Solo a los lados
Corte César
Corte César, raya al lado
Gafas Kurt
Gafas 1
Gafas 2
Gafas redondas
Gafas de sol
Wayfarer
Medalla de oro
Medalla de plata
Medalla de bronce
Medalla azul
Castaño oscuro
Caoba
Negro
Rubio
Rubio dorado
Marrón
Rosa pastel
Azul
Platino
Rojo
Gris plata
Gris claro
Azul cielo
Azul medio
Azul marino
Gris
Gris jaspeado
Azul pastel
Verde pastel
Naranja pastel
Rojo pastel
Amarillo pastel
Rosa
Blanco
Barba media
Barba ligera
Barba majestuosa
Bigote elegante
Bigote Magnum
Camiseta de cuello redondo
Americana y camisa
Americana y jersey
Jersey con cuello
Camiseta estampada
Sudadera con capucha
Peto
Camiseta de escote redondo
Camiseta de cuello en V
Calavera
Murciélago
Cumbia
Ciervo
Diamante
Hola
Pizza
Resist
Selena
Oso
Contorno de calavera
Predeterminado
Cerrados
Llorando
Mareado
Ojos en blanco
Felices
Corazones
Mirada de lado
Entrecerrados
Sorprendidos
Guiño
Guiño loco
Ojos de estrella, amarillos
Ojos de estrella, rosas
Ojos de estrella, azules
Ojos de estrella, verdes
Ojos de estrella, morados
Ojos de estrella, rojos
Enfadadas
Enfadadas, naturales
Naturales
Planas, naturales
Levantadas
Levantadas, naturales
Tristes
Tristes, naturales
Uniceja
Una arriba, otra abajo
Una arriba, otra abajo, naturales
Preocupada
Incrédula
Comiendo
Mueca
Triste
Gritando
Seria
Sonrisa
Lengua fuera
Sonrisita
Vomitando
Clara
Bronceada
Amarilla
Pálida
Marrón oscuro
Blanco
Cielo
Menta
Melocotón
Lavanda
Arena
Círculo
Cuadrado redondeado
Cuadrado
Hexágono`,
};

const tables = new Map<string, Map<string, string>>();

/** The name of `value` in `locale` (en, de, fr, es), or undefined when there is none. */
export function valueName(locale: string, value: string): string | undefined {
  const names = NAMES[locale];
  if (!names) return undefined;
  let table = tables.get(locale);
  if (!table) tables.set(locale, (table = new Map(names.split('\n').map((name, i) => [VALUES[i]!, name]))));
  return table.get(value);
}

/** For the test: how many values each language names. */
export const NAMED_VALUES = VALUES;
export const NAMES_PER_LOCALE = Object.fromEntries(Object.entries(NAMES).map(([locale, names]) => [locale, names.split('\n').length]));
