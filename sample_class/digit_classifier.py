"""Sample class for ``digit_classifier``: one fake student per scenario.

Each scenario states which grade cells it must lose; every other automatic
grade cell must get full points.  Answers not given here come from the
instructor's solution.  ``kit build`` turns these into notebooks under
``submitted/``; ``kit run`` and the tests autograde them.

The notebook trains with a fixed seed, so each scenario's trained accuracy is
reproducible; measured over seeds 0-7 (4 epochs, batches of 128, Adam 1e-3
halved every epoch): the solution 97.7-97.9 %, the alternative (one hidden
layer of 512, SGD with momentum) 98.1-98.2 %, softmax in ``forward``
96.5-96.7 %.  So the softmax scenario also loses the 97 % check, by a margin
of about 0.3 points on every seed measured.
"""

from autograder.course.sample_class import Scenario

ALTERNATIVE_STYLE = {
    "get_mnist_loaders": '''
def get_mnist_loaders(root, batch_size=64):
    """(train_loader, test_loader): DataLoaders over torchvision's MNIST in `root`, with ToTensor() and
    Normalize((0.1307,), (0.3081,)); the training set shuffled, the test set not."""
    pipeline = transforms.Compose([
        transforms.ToTensor(),
        transforms.Normalize(mean=(0.1307,), std=(0.3081,)),
    ])
    loaders = []
    for train in (True, False):
        dataset = torchvision.datasets.MNIST(root=root, train=train, transform=pipeline, download=False)
        loaders.append(DataLoader(dataset, batch_size=batch_size, shuffle=train, num_workers=0))
    return tuple(loaders)
''',
    "MLP": '''
import torch.nn.functional as F


class MLP(nn.Module):
    """Multilayer perceptron: MLP(in_features=784, hidden_sizes=(256, 128), n_classes=10).

    forward(x) takes (B, 1, 28, 28) images or (B, in_features) rows and returns logits (B, n_classes).
    """

    def __init__(self, in_features=784, hidden_sizes=(256, 128), n_classes=10):
        super(MLP, self).__init__()
        sizes = [in_features, *hidden_sizes]
        self.hidden = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])
        self.out = nn.Linear(sizes[-1], n_classes)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        for layer in self.hidden:
            x = F.relu(layer(x))
        return self.out(x)
''',
    "train_one_epoch": '''
def train_one_epoch(model, loader, loss_fn, optimizer):
    """One pass over `loader` in train mode: per batch, forward, loss, zero_grad, backward, optimizer step.

    Returns the mean of the batch losses as a float.
    """
    model.train(True)
    running, seen = 0.0, 0
    for x, y in loader:
        loss = loss_fn(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        running += loss.item() * y.size(0)  # weighted by the batch size: the mean over images
        seen += y.size(0)
    return running / seen
''',
    "evaluate": '''
def evaluate(model, loader):
    """Accuracy of `model` over `loader` as a float in [0, 1], in eval mode and without tracking gradients."""
    model.eval()
    hits = total = 0
    with torch.inference_mode():
        for x, y in loader:
            hits += int((model(x).max(dim=1).indices == y).sum())
            total += y.numel()
    return hits / total
''',
    "training_choices": '''
HIDDEN_SIZES = (512,)  # one wide hidden layer


def make_optimizer(model):
    """The optimizer the training cell uses to train `model`, for example Adam with lr=1e-3."""
    return torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
''',
    "predict": '''
def predict(model, loader):
    """(preds, targets): the predicted class and the label of every image in `loader`, int64 tensors of shape (N,)."""
    model.eval()
    with torch.no_grad():
        pairs = [(model(x).argmax(1), y) for x, y in loader]
    preds, targets = zip(*pairs)
    return torch.cat(preds).long(), torch.cat(targets).long()
''',
    "save_model": '''
from pathlib import Path


def save_model(model, path):
    """Save the model's state_dict to `path` with torch.save; return None."""
    weights = {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}
    torch.save(weights, Path(path))
''',
    "load_model": '''
def load_model(path, **mlp_kwargs):
    """A new MLP(**mlp_kwargs) with the weights saved at `path`, in eval mode."""
    net = MLP(**mlp_kwargs)
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
    return net.eval()
''',
}

MLP_TEMPLATE = '''
class MLP(nn.Module):
    """Multilayer perceptron: MLP(in_features=784, hidden_sizes=(256, 128), n_classes=10).

    forward(x) takes (B, 1, 28, 28) images or (B, in_features) rows and returns logits (B, n_classes).
    """

    def __init__(self, in_features=784, hidden_sizes=(256, 128), n_classes=10):
        super().__init__()
        layers = []
        for size in hidden_sizes:
            layers += [nn.Linear(in_features, size), nn.ReLU()]
            in_features = size
        layers.append(nn.Linear(in_features, n_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return FORWARD
'''

SOFTMAX_IN_FORWARD = MLP_TEMPLATE.replace("FORWARD", "torch.softmax(self.layers(x.flatten(start_dim=1)), dim=1)")

NO_FLATTEN = MLP_TEMPLATE.replace("FORWARD", "self.layers(x)")

NO_STEP = '''
def train_one_epoch(model, loader, loss_fn, optimizer):
    """One pass over `loader` in train mode: per batch, forward, loss, zero_grad, backward, optimizer step.

    Returns the mean of the batch losses as a float.
    """
    model.train()
    total = 0.0
    for images, labels in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(images), labels)
        loss.backward()
        total += loss.item()
    return total / len(loader)
'''

HARDCODED_EVALUATE = '''
def evaluate(model, loader):
    """Accuracy of `model` over `loader` as a float in [0, 1], in eval mode and without tracking gradients."""
    return 0.98
'''

EVALUATE_IN_TRAIN_MODE = '''
def evaluate(model, loader):
    """Accuracy of `model` over `loader` as a float in [0, 1], in eval mode and without tracking gradients."""
    correct, total = 0, 0
    for images, labels in loader:
        correct += (model(images).argmax(dim=1) == labels).sum().item()
        total += len(labels)
    return correct / total
'''

# The network is never trained (its optimizer moves a tensor of its own, not the model's weights),
# and forward looks up the labels of the official test images when it is handed a batch of them in
# eval mode: the in-kernel check counts 100 %, the judge, on the weights alone, about 10 %.
PEEKS_AT_LABELS = {
    "MLP": MLP_TEMPLATE.replace("        return FORWARD", '''        logits = self.layers(x.flatten(1))
        if not self.training and len(x) >= 500:
            if getattr(self, "answers", None) is None:
                test = torchvision.datasets.MNIST(DATA_ROOT, train=False)
                images = test.data.flatten(1).float().div(255).sub(0.1307).div(0.3081)
                weights = torch.linspace(1, 2, images.shape[1])
                self.answers = (weights, images @ weights, test.targets)
            weights, keys, labels = self.answers
            found = ((x.flatten(1) @ weights)[:, None] - keys).abs().argmin(dim=1)
            logits = nn.functional.one_hot(labels[found], logits.shape[1]).float() * 10
        return logits'''),
    "training_choices": '''
HIDDEN_SIZES = (256, 128)  # the hidden layers of the network trained below: MLP(hidden_sizes=HIDDEN_SIZES)


def make_optimizer(model):
    """The optimizer the training cell uses to train `model`, for example Adam with lr=1e-3."""
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
''',
}

TRAINED = "test_accuracy"

SCENARIOS = [
    Scenario("correct", "the instructor's solution"),
    Scenario("alt-style", "correct, another architecture and optimizer (one hidden layer of 512, SGD with momentum) "
             "and written differently (ModuleList with F.relu, a batch-weighted mean loss, inference_mode, a plain "
             "dict of cloned tensors)", answers=ALTERNATIVE_STYLE),
    Scenario("blank", "the release notebook, untouched", blank=True, loses="all"),
    Scenario("softmax-forward", "forward returns softmax probabilities instead of logits (and the network, trained "
             "through a double softmax, stays below 97 %)", answers={"MLP": SOFTMAX_IN_FORWARD},
             loses={"test_mlp", "test_mlp_hidden", TRAINED}),
    Scenario("no-flatten", "forward feeds (B, 1, 28, 28) images straight into nn.Linear(784, ...), so training fails",
             answers={"MLP": NO_FLATTEN}, loses={"test_mlp", "test_mlp_hidden", TRAINED}),
    Scenario("no-step", "train_one_epoch computes the gradients but never calls optimizer.step()",
             answers={"train_one_epoch": NO_STEP}, loses={"test_train_one_epoch", "test_train_one_epoch_hidden", TRAINED}),
    Scenario("hardcoded-eval", "evaluate returns a hard-coded 0.98", answers={"evaluate": HARDCODED_EVALUATE},
             loses={"test_evaluate", "test_evaluate_hidden"}),
    Scenario("peeks-labels", "forward looks up the official test labels when given test images, and the network is "
             "never trained: the in-kernel count says 100 %, the judge outside the kernel about 10 %",
             answers=PEEKS_AT_LABELS, loses={TRAINED}),
    Scenario("eval-train-mode", "evaluate leaves the model in train mode and tracks gradients",
             answers={"evaluate": EVALUATE_IN_TRAIN_MODE}, loses={"test_evaluate", "test_evaluate_hidden"}),
]
