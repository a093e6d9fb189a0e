/// A general English text (2,026 words) the model was not fine-tuned on: its loss before and
/// after each phase measures forgetting. It is the text of the project's perplexity reference
/// (shared/reference/smollm2/ppl_text.txt), so its loss is comparable with llama.cpp's figures.
public enum GeneralText {
    public static let text = #"""
The River and the Town

The town of Alder Bend grew up beside a slow, wide river that curved around a low hill before heading south toward the sea. For most of its history, the river was the reason the town existed at all. Farmers from the surrounding valley brought their grain to the mill at the water's edge, and boats carried flour, timber, and wool downstream to the larger markets on the coast. In the spring, when the snow melted in the mountains, the river rose and spread across the flat fields to the east, leaving behind a layer of dark soil that made the land some of the most fertile in the region.

The first houses were built of wood, close to the water, because that was where the work was. As the town became more prosperous, merchants built larger homes of brick and stone on the hill, where they could look down on the river without worrying about floods. A church was built at the top of the hill, and a small school was added beside it a few years later. By the end of the century, Alder Bend had a bank, a newspaper, two hotels, and a railway station that connected it to the capital.

The railway changed everything. Goods that once took a week to reach the coast by boat could now arrive in a single day. The mill owners bought new machines, and the mill doubled in size. Young people from the farms moved into town to work in the factories that opened near the station. The river, which had been the center of life for so long, slowly became something people noticed only when it flooded or when the summer heat made it smell of mud and weeds.

Today, the old mill has been turned into a museum, and the boats that once carried flour have been replaced by kayaks and small fishing boats. On warm weekends, families walk along the path that follows the riverbank, and children feed the ducks near the old stone bridge. Many of the people who live in Alder Bend now work in offices in the city and travel there by train each morning. Yet the river is still there, moving slowly past the town, as patient as it has always been.

How a Library Works

A public library may look like a simple place, a building full of books with a desk near the door, but a great deal of work happens behind the scenes to keep it running. Every book, magazine, film, and recording in the collection must be chosen, purchased, cataloged, labeled, and placed on the correct shelf. When a reader borrows an item, the library must keep track of who has it and when it should be returned. When the item comes back, it must be checked for damage and returned to its place so that the next reader can find it.

Librarians decide what to add to the collection by reading reviews, listening to requests from readers, and studying which kinds of books are borrowed most often. A small library cannot buy everything, so it must make careful choices. It might buy several copies of a popular new novel, a single copy of an expensive reference book, and a handful of books in other languages for the families in the neighborhood who speak them at home.

Cataloging is the process of describing each item so that it can be found later. A catalog record includes the title, the author, the publisher, the year of publication, and a set of subject headings that describe what the book is about. It also includes a call number, which tells the reader where the book sits on the shelf. In many libraries, nonfiction books are arranged by subject using a system of numbers, so that books about history sit together in one area and books about science sit together in another.

Modern libraries offer much more than books. Many lend laptops and internet hotspots, host classes on writing and computer skills, and provide quiet rooms where students can study. Some offer help with filling out tax forms or applying for jobs. For many people, especially those who cannot afford their own computer or internet connection, the library is one of the few places where they can get free access to information and help from a trained professional.

Making Bread at Home

Bread is one of the oldest prepared foods, and it is made from only a few simple ingredients: flour, water, salt, and yeast. Even so, the process of turning these ingredients into a good loaf requires patience and attention. The flour provides the structure of the bread, the water brings the dough together, the salt adds flavor and strengthens the dough, and the yeast produces the gas that makes the bread rise.

To begin, mix the flour and salt in a large bowl. In a separate cup, dissolve the yeast in warm water and let it rest for a few minutes until small bubbles appear on the surface. Pour the water into the flour and stir until a rough, sticky dough forms. Then turn the dough out onto a floured table and knead it by pushing it away with the heel of your hand, folding it back toward you, and turning it a quarter turn. After about ten minutes, the dough should feel smooth and elastic.

Place the dough in a lightly oiled bowl, cover it with a clean towel, and leave it in a warm place until it has doubled in size. This usually takes an hour or two, depending on the temperature of the room. When the dough has risen, press it down gently to release some of the gas, shape it into a loaf, and place it in a greased pan or on a baking sheet. Let it rise again for about forty minutes while the oven heats.

Bake the bread in a hot oven until the crust is deep golden brown and the loaf sounds hollow when you tap the bottom. Let it cool on a rack for at least half an hour before slicing it. Cutting the bread too soon can make the inside gummy, because the loaf is still cooking from the heat trapped inside. Once it has cooled, the bread can be eaten plain, toasted, or spread with butter and jam.

The Weather and the Seasons

The changing seasons are caused by the tilt of the earth as it travels around the sun. For part of the year, the northern half of the planet leans toward the sun and receives more direct sunlight, which brings longer days and warmer temperatures. During the other part of the year, the northern half leans away from the sun, the days become shorter, and the weather turns colder. The southern half of the planet experiences the opposite pattern, so when it is summer in one hemisphere, it is winter in the other.

Weather describes the conditions in the air at a particular place and time, such as temperature, wind, cloud cover, and rain. Climate, on the other hand, describes the average weather in a place over many years. A single cold day in summer does not change the climate, but a long series of warmer years may show that the climate is shifting.

Forecasters use information from weather stations, balloons, satellites, and radar to predict what the weather will do over the coming days. They feed this information into computer models that divide the atmosphere into a grid of boxes and calculate how heat, moisture, and wind will move between them. Forecasts for the next day or two are usually quite accurate, while forecasts for more than a week ahead are much less certain, because small errors in the starting conditions grow larger over time.

People have always watched the sky for signs of coming weather. Farmers noticed that a red sky in the evening often meant a clear day to follow, while a ring around the moon could signal rain. Some of these old sayings have a basis in science, since they reflect the way that light passes through dust and moisture in the air. Others are little more than local tradition, passed down from one generation to the next.

A Short Guide to Saving Money

Saving money is easier when it becomes a habit rather than a decision that must be made again each month. One of the simplest ways to build that habit is to set aside a fixed amount as soon as you are paid, before you have a chance to spend it on other things. Even a small amount, saved regularly, can grow into a useful sum over several years.

It helps to know where your money goes. For one month, write down every purchase, no matter how small. At the end of the month, sort the purchases into groups such as housing, food, transport, and entertainment. Many people are surprised to find how much they spend on small items like coffee, snacks, and subscriptions they no longer use. Once you can see the pattern, it becomes easier to decide where to cut back.

An emergency fund is one of the most important goals for any household. This is money kept in a safe and easily reached account, to be used only for unexpected costs such as a car repair, a medical bill, or a period without work. Many advisers suggest keeping enough to cover three to six months of basic living expenses. Having this cushion can prevent a small problem from turning into a large debt.

Debt with high interest, such as an unpaid credit card balance, can grow quickly and make saving very difficult. If you carry such a balance, paying it down is often the best use of any extra money, since the interest you avoid is usually greater than the interest you could earn in a savings account. After the debt is cleared, the money that once went toward payments can be redirected into savings.

Finally, remember that saving is not only about giving things up. It is about choosing what matters most to you and making sure that your money supports those choices. A person who saves for a trip, a home, or an education is not simply spending less; they are planning for a future that they have decided is worth the effort.

Walking in the Hills

There is a particular kind of quiet that can only be found on a hillside early in the morning. The air is cool, the grass is wet with dew, and the only sounds are the wind, the calls of birds, and the steady rhythm of your own footsteps. From the top of the ridge, the valley below is often hidden under a thin layer of mist that slowly lifts as the sun rises higher.

Before setting out on a long walk, it is wise to check the weather, carry a map, and tell someone where you are going and when you expect to return. Good boots, a warm layer, a rain jacket, water, and some food are the basic items that every walker should bring. Even on a bright day, the weather in the hills can change quickly, and a sunny morning can turn into a cold and wet afternoon.

Walking uphill is slow work, and there is no shame in stopping often to rest and enjoy the view. Many experienced walkers set a pace that allows them to keep talking without running out of breath. Going downhill can be harder on the knees than going up, so it helps to take short steps and use a walking pole on steep or rocky ground.

The reward for the effort is not only the view from the top but also the feeling of having spent a day outside, away from screens and noise. At the end of the walk, tired and hungry, most people find that a simple meal tastes better than usual and that sleep comes easily. It is a reminder that the body was made to move, and that some of the best things in life are also the simplest.
"""#
}
